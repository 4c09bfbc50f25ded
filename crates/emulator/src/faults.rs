//! Scripted faults: rules posted to `/_emulator/faults` that make the next matching requests fail
//! in a chosen way (status, slow commit, reset, commit-then-drop, a server that echoes the
//! credential, or a list that never ends), each rule for a number of `times`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What happens to a request that matches a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FaultKind {
    /// Apply the request, then close the connection without sending the response.
    CommitThenDrop,
    /// Apply the request, then answer 500 as a server that stored it and failed afterwards.
    CommitThen500,
    /// Close the connection (with an RST) before doing anything.
    Reset,
    /// Sleep, then serve the request normally: applied even when the client has given up and
    /// disconnected meanwhile (a slow commit).
    Delay { delay_ms: u64 },
    /// Answer with this status and an error body, without touching state. The delay hints are
    /// sent as given (`"1e300"` too), so clients can be tried on absurd ones.
    Status {
        status: u16,
        retry_after: Option<String>,
        retry_after_ms: Option<String>,
    },
    /// A server that repeats the request's credential (the `Authorization` or `api-key` value)
    /// back to the client, where `into` says.
    Echo { into: EchoInto, status: u16 },
    /// A list that never ends: the page is served with `has_more: true` whatever is left.
    EndlessPages { cursor: Cursor },
}

/// Where an echoing server puts the credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EchoInto {
    /// An error answer (`status`) whose `error.message` quotes it.
    Error,
    /// An error answer (`status`) whose body is a short line of plain text quoting it.
    Raw,
    /// The request is served as usual, and every `message` string of the JSON answer (event
    /// messages, a failed job's `error.message`) gets it appended.
    Messages,
}

/// How an endless list's cursor behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cursor {
    /// Every page is the first one, whatever `after` says: the cursor never moves.
    Stuck,
    /// Every page repeats the real page's items under ids never sent before.
    Fresh,
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
    /// How many matching requests it lets through first (served as usual): a fault in the middle
    /// of a sequence of the same request, such as the reads that follow an operation.
    #[serde(default)]
    pub after: u64,
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
                    | "after"
                    | "delay_ms"
                    | "retry_after"
                    | "retry_after_ms"
                    | "status"
                    | "echo_into"
                    | "cursor"
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
        // A delay hint as the header will carry it: a whole number, or any string as given.
        let hint = |name: &str| -> Result<Option<String>, String> {
            match obj.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(v) => v.as_u64().map(|n| Some(n.to_string())).ok_or_else(|| {
                    format!("invalid {name} {v}: must be a non-negative integer or a string")
                }),
            }
        };
        let word = |name: &str, allowed: &[&str]| -> Result<Option<String>, String> {
            match obj.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(Some(s.clone())),
                Some(v) => Err(format!(
                    "invalid {name} {v}: must be one of {}",
                    allowed.join(", ")
                )),
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
                retry_after: hint("retry_after")?,
                retry_after_ms: hint("retry_after_ms")?,
            },
            (Some("commit_then_drop"), _) => FaultKind::CommitThenDrop,
            (Some("commit_then_500"), _) => FaultKind::CommitThen500,
            (Some("reset"), _) => FaultKind::Reset,
            (Some("delay"), _) => FaultKind::Delay {
                delay_ms: uint("delay_ms")?.ok_or("fault \"delay\" needs delay_ms")?,
            },
            (Some("echo"), _) => {
                let into = match word("echo_into", &["error", "raw", "messages"])?.as_deref() {
                    Some("raw") => EchoInto::Raw,
                    Some("messages") => EchoInto::Messages,
                    _ => EchoInto::Error,
                };
                let status = match uint("status")? {
                    None => 400,
                    Some(s) if (400..=599).contains(&s) => s as u16,
                    Some(s) => return Err(format!("invalid status {s}: must be 400-599")),
                };
                FaultKind::Echo { into, status }
            }
            (Some("endless_pages"), _) => FaultKind::EndlessPages {
                cursor: match word("cursor", &["stuck", "fresh"])?.as_deref() {
                    Some("fresh") => Cursor::Fresh,
                    _ => Cursor::Stuck,
                },
            },
            _ => {
                return Err(format!(
                    "invalid fault {fault}: must be commit_then_drop, commit_then_500, reset, \
                     delay, echo, endless_pages or an HTTP status 400-599"
                ));
            }
        };
        Ok(FaultRule {
            method,
            path,
            kind,
            times,
            after: uint("after")?.unwrap_or(0),
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

    /// Takes one use of the first rule matching the request, if any; a rule still letting
    /// requests through (`after`) lets this one through.
    pub fn take(&mut self, method: &str, path: &str) -> Option<FaultKind> {
        let i = self.rules.iter().position(|r| r.matches(method, path))?;
        if self.rules[i].after > 0 {
            self.rules[i].after -= 1;
            return None;
        }
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
                retry_after: Some(ref s),
                ..
            }) if s == "2"
        ));
        assert!(f.take("POST", "/v1/files").is_some());
        assert!(f.take("POST", "/v1/files").is_none());
    }

    #[test]
    fn a_rule_lets_its_first_matches_through_with_after() {
        let mut f = Faults::default();
        f.add(
            FaultRule::from_json(&json!({"method":"GET","path":"/d","fault":"reset","after":2}))
                .unwrap(),
        );
        assert!(f.take("GET", "/d").is_none());
        assert!(f.take("POST", "/d").is_none());
        assert!(f.take("GET", "/d").is_none());
        assert_eq!(f.take("GET", "/d"), Some(FaultKind::Reset));
        assert!(f.take("GET", "/d").is_none());
    }

    #[test]
    fn refuses_bad_rules() {
        let err = FaultRule::from_json(&json!({"fault":"explode"})).expect_err("bad fault");
        assert!(err.starts_with("invalid fault \"explode\""), "{err}");
        let err = FaultRule::from_json(&json!({"fault":"delay"})).expect_err("no delay");
        assert_eq!(err, "fault \"delay\" needs delay_ms");
        let err = FaultRule::from_json(&json!({"fault":"endless_pages","cursor":"round"}))
            .expect_err("bad cursor");
        assert_eq!(err, "invalid cursor \"round\": must be one of stuck, fresh");
        let err = FaultRule::from_json(&json!({"fault":"echo","status":200})).expect_err("2xx");
        assert_eq!(err, "invalid status 200: must be 400-599");
    }

    #[test]
    fn hints_keep_their_spelling_and_new_kinds_parse() {
        let rule = FaultRule::from_json(&json!({"fault":429,"retry_after":"1e300"})).unwrap();
        assert!(
            matches!(rule.kind, FaultKind::Status { retry_after: Some(ref s), .. } if s == "1e300")
        );
        let rule = FaultRule::from_json(&json!({"fault":"echo","echo_into":"raw"})).unwrap();
        assert_eq!(
            rule.kind,
            FaultKind::Echo {
                into: EchoInto::Raw,
                status: 400
            }
        );
        let rule =
            FaultRule::from_json(&json!({"fault":"endless_pages","cursor":"fresh"})).unwrap();
        assert_eq!(
            rule.kind,
            FaultKind::EndlessPages {
                cursor: Cursor::Fresh
            }
        );
    }
}
