//! Cursor pagination shared by every list operation: `after` is the id of the last item already
//! seen, and `has_more` says whether to go on.

use serde_json::{Value, json};

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
    fn pages_after_cursor() {
        let items = vec!["a", "b", "c"];
        assert_eq!(page(items.clone(), |s| s, None, 2), (vec!["a", "b"], true));
        assert_eq!(page(items.clone(), |s| s, Some("b"), 2), (vec!["c"], false));
        assert_eq!(page(items, |s| s, Some("zz"), 2), (vec![], false));
    }
}
