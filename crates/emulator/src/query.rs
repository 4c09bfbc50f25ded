//! Query strings: decoding (by `form_urlencoded`) and the typed reads every handler shares: a
//! range-checked `limit` and enum-valued parameters with a default.

use crate::errors::{ApiError, in_range, quoted};
use percent_encoding::percent_decode_str;

/// Decoded query parameters, in order.
#[derive(Debug, Default, Clone)]
pub struct Query(pub Vec<(String, String)>);

impl Query {
    /// Decodes a raw query string as form encoding does (`+` is a space, `%XX` a byte).
    pub fn parse(raw: Option<&str>) -> Query {
        let pairs = form_urlencoded::parse(raw.unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
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
        let max = i64::try_from(max).unwrap_or(i64::MAX);
        in_range(n, "limit", "integer", (1, false), Some(max)).map(|n| n as usize)
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
                    quoted(allowed)
                ),
            )
            .with_code("invalid_value")),
        }
    }
}

/// Decodes one path segment the way query components are decoded (`+` too reads as a space).
pub fn decode_segment(segment: &str) -> String {
    percent_decode_str(&segment.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
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
    fn decodes_path_segments() {
        assert_eq!(decode_segment("ft%3Agpt-4o%2Bx"), "ft:gpt-4o+x");
        assert_eq!(decode_segment("a+b%zz"), "a b%zz");
    }
}
