//! Scripted faults: rules posted to `/_emulator/faults` that make the next matching requests fail
//! in a chosen way (status, delay, reset, or commit-then-drop), each rule for a number of `times`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What happens to a request that matches a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FaultKind {
    /// Apply the request, then close the connection without sending the response.
    CommitThenDrop,
    /// Close the connection (with an RST) before doing anything.
    Reset,
    /// Sleep, then serve the request normally.
    Delay { delay_ms: u64 },
    /// Answer with this status and an error body, without touching state.
    Status {
        status: u16,
        retry_after: Option<u64>,
        retry_after_ms: Option<u64>,
    },
}

/// One scripted fault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// HTTP method to match; `None` (or `"*"` in JSON) matches any.
    pub method: Option<String>,
    /// Exact path, or a prefix ending in `*`.
    pub path: String,
    pub kind: FaultKind,
    /// How many more requests this rule applies to.
    pub times: u64,
}

impl FaultRule {
    /// Parses the control body, e.g. `{"method":"POST","path":"/v1/fine_tuning/jobs","fault":429,
    /// "retry_after":1,"times":2}`. `fault` may be a name or a status (number or string).
    pub fn from_json(v: &Value) -> Result<FaultRule, String> {
        let obj = v.as_object().ok_or("fault rule must be a JSON object")?;
        for key in obj.keys() {
            if !matches!(
                key.as_str(),
                "method"
                    | "path"
                    | "fault"
                    | "times"
                    | "delay_ms"
                    | "retry_after"
                    | "retry_after_ms"
            ) {
                return Err(format!("unknown field \"{key}\" in fault rule"));
            }
        }
        let method = match obj.get("method") {
            None | Some(Value::Null) => None,
            Some(Value::String(m)) if m == "*" => None,
            Some(Value::String(m)) => Some(m.to_ascii_uppercase()),
            Some(other) => return Err(format!("invalid method {other}: must be a string")),
        };
        let path = match obj.get("path") {
            None | Some(Value::Null) => "*".to_string(),
            Some(Value::String(p)) => p.clone(),
            Some(other) => return Err(format!("invalid path {other}: must be a string")),
        };
        let uint = |name: &str| -> Result<Option<u64>, String> {
            match obj.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_u64()
                    .map(Some)
                    .ok_or_else(|| format!("invalid {name} {v}: must be a non-negative integer")),
            }
        };
        let times = uint("times")?.unwrap_or(1);
        if times == 0 {
            return Err("invalid times 0: must be at least 1".to_string());
        }
        let fault = obj.get("fault").ok_or("missing field \"fault\"")?;
        let status = match fault {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse::<u64>().ok(),
            _ => None,
        };
        let kind = match (fault.as_str(), status) {
            (_, Some(code)) if (400..=599).contains(&code) => FaultKind::Status {
                status: code as u16,
                retry_after: uint("retry_after")?,
                retry_after_ms: uint("retry_after_ms")?,
            },
            (Some("commit_then_drop"), _) => FaultKind::CommitThenDrop,
            (Some("reset"), _) => FaultKind::Reset,
            (Some("delay"), _) => FaultKind::Delay {
                delay_ms: uint("delay_ms")?.ok_or("fault \"delay\" needs delay_ms")?,
            },
            _ => {
                return Err(format!(
                    "invalid fault {fault}: must be commit_then_drop, reset, delay or an HTTP status 400-599"
                ));
            }
        };
        Ok(FaultRule {
            method,
            path,
            kind,
            times,
        })
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        let method_ok = self.method.as_deref().is_none_or(|m| m == method);
        let path_ok = match self.path.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => self.path == path,
        };
        method_ok && path_ok
    }
}

/// The active rules, consumed in the order they were added.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Vec<FaultRule>,
}

impl Faults {
    pub fn add(&mut self, rule: FaultRule) {
        self.rules.push(rule);
    }

    pub fn clear(&mut self) {
        self.rules.clear();
    }

    pub fn rules(&self) -> &[FaultRule] {
        &self.rules
    }

    /// Takes one use of the first rule matching the request, if any.
    pub fn take(&mut self, method: &str, path: &str) -> Option<FaultKind> {
        let i = self.rules.iter().position(|r| r.matches(method, path))?;
        let kind = self.rules[i].kind.clone();
        self.rules[i].times -= 1;
        if self.rules[i].times == 0 {
            self.rules.remove(i);
        }
        Some(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_and_consumes_rules() {
        let mut f = Faults::default();
        let rule = FaultRule::from_json(
            &json!({"method":"post","path":"/v1/files*","fault":"429","retry_after":2,"times":2}),
        )
        .expect("valid rule");
        f.add(rule);
        assert!(f.take("GET", "/v1/files").is_none());
        assert!(matches!(
            f.take("POST", "/v1/files/x"),
            Some(FaultKind::Status {
                status: 429,
                retry_after: Some(2),
                ..
            })
        ));
        assert!(f.take("POST", "/v1/files").is_some());
        assert!(f.take("POST", "/v1/files").is_none());
    }

    #[test]
    fn refuses_bad_rules() {
        let err = FaultRule::from_json(&json!({"fault":"explode"})).expect_err("bad fault");
        assert!(err.starts_with("invalid fault \"explode\""), "{err}");
        let err = FaultRule::from_json(&json!({"fault":"delay"})).expect_err("no delay");
        assert_eq!(err, "fault \"delay\" needs delay_ms");
    }
}
