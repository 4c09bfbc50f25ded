//! Query-string parsing and cursor pagination shared by every list operation: `after` is the id of
//! the last item already seen, `limit` is range-checked, and `has_more` says whether to go on.

use crate::errors::ApiError;
use serde_json::{Value, json};

/// Decoded query parameters, in order.
#[derive(Debug, Default, Clone)]
pub struct Query(pub Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Query {
        let pairs = raw
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (percent_decode(k), percent_decode(v)),
                None => (percent_decode(p), String::new()),
            })
            .collect();
        Query(pairs)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `limit`, defaulting to `default`, refused outside `1..=max`.
    pub fn limit(&self, default: usize, max: usize) -> Result<usize, ApiError> {
        let Some(raw) = self.get("limit") else {
            return Ok(default);
        };
        let n: i64 = raw.parse().map_err(|_| {
            ApiError::invalid(
                Some("limit"),
                format!("Invalid 'limit': expected an integer, but got '{raw}' instead."),
            )
            .with_code("invalid_type")
        })?;
        if n < 1 {
            return Err(ApiError::invalid(
                Some("limit"),
                format!("Invalid 'limit': integer below minimum value. Expected a value >= 1, but got {n} instead."),
            )
            .with_code("integer_below_min_value"));
        }
        if n as u64 > max as u64 {
            return Err(ApiError::invalid(
                Some("limit"),
                format!("Invalid 'limit': integer above maximum value. Expected a value <= {max}, but got {n} instead."),
            )
            .with_code("integer_above_max_value"));
        }
        Ok(n as usize)
    }

    /// An enum-valued parameter with a default.
    pub fn choice<'a>(
        &'a self,
        name: &str,
        allowed: &[&'a str],
        default: &'a str,
    ) -> Result<&'a str, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) if allowed.contains(&v) => Ok(v),
            Some(v) => Err(ApiError::invalid(
                Some(name),
                format!(
                    "Invalid value: '{v}'. Supported values are: {}.",
                    allowed
                        .iter()
                        .map(|a| format!("'{a}'"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .with_code("invalid_value")),
        }
    }
}

/// Percent-decodes a URL component (also `+` as space, as form encoding does).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Items after the `after` cursor (all items when it is absent), at most `limit`, and `has_more`.
/// An unknown cursor yields an empty page, since nothing is known to come after it.
pub fn page<T>(
    items: Vec<T>,
    id: impl Fn(&T) -> &str,
    after: Option<&str>,
    limit: usize,
) -> (Vec<T>, bool) {
    let start = match after {
        None => 0,
        Some(cursor) => match items.iter().position(|it| id(it) == cursor) {
            Some(i) => i + 1,
            None => items.len(),
        },
    };
    let rest: Vec<T> = items.into_iter().skip(start).collect();
    let has_more = rest.len() > limit;
    (rest.into_iter().take(limit).collect(), has_more)
}

/// The list envelope. `ids` adds `first_id`/`last_id` (null for an empty page).
pub fn list_body(data: Vec<Value>, has_more: bool, ids: bool) -> Value {
    let mut body = json!({"object": "list", "data": data, "has_more": has_more});
    if ids {
        let id_of = |v: Option<&Value>| v.and_then(|x| x.get("id")).cloned().unwrap_or(Value::Null);
        body["first_id"] = id_of(data_first(&body));
        body["last_id"] = id_of(data_last(&body));
    }
    body
}

fn data_first(body: &Value) -> Option<&Value> {
    body["data"].as_array().and_then(|a| a.first())
}

fn data_last(body: &Value) -> Option<&Value> {
    body["data"].as_array().and_then(|a| a.last())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_deep_object_keys() {
        let q = Query::parse(Some("metadata%5Bteam%5D=ml+ops&limit=2"));
        assert_eq!(q.get("metadata[team]"), Some("ml ops"));
        assert_eq!(q.limit(20, 100), Ok(2));
    }

    #[test]
    fn pages_after_cursor() {
        let items = vec!["a", "b", "c"];
        assert_eq!(page(items.clone(), |s| s, None, 2), (vec!["a", "b"], true));
        assert_eq!(page(items.clone(), |s| s, Some("b"), 2), (vec!["c"], false));
        assert_eq!(page(items, |s| s, Some("zz"), 2), (vec![], false));
    }
}
