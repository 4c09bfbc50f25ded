//! The flat string map every command takes (Terraform's `external` query, or `OPENAI_FT_INPUT`),
//! with the accessors that turn its strings into checked values at the edge, and the flat map
//! it gives back.

use std::collections::BTreeMap;

use crate::error::InputError;

/// A command's output: flat key/value strings, in a stable order.
pub type Output = Vec<(String, String)>;

/// A command's input: keys to string values. Absent keys and Terraform nulls look the same.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input(BTreeMap<String, String>);

impl Input {
    pub fn new(map: BTreeMap<String, String>) -> Self {
        Self(map)
    }

    /// The value of `key`, with an empty string treated as absent (Terraform passes `""` for an
    /// unset optional string more often than null).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The value of `key`, or a "missing" error that tells the user what to set.
    pub fn require(&self, key: &str, what: &str) -> Result<&str, InputError> {
        self.get(key).ok_or_else(|| InputError::missing(key, what))
    }

    /// `true`/`false` (absent means `default`).
    pub fn flag(&self, key: &str, default: bool) -> Result<bool, InputError> {
        match self.get(key) {
            None => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(other) => Err(InputError::invalid(
                key,
                other,
                "must be \"true\" or \"false\"",
            )),
        }
    }

    /// A whole number of seconds or similar, within `min..=max`.
    pub fn integer(&self, key: &str, min: u64, max: u64) -> Result<Option<u64>, InputError> {
        let Some(raw) = self.get(key) else {
            return Ok(None);
        };
        match raw.trim().parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(InputError::invalid(
                key,
                raw,
                format!("must be an integer {min}-{max}"),
            )),
        }
    }

    /// Refuses keys the command does not know, so a typo is an error rather than a silently
    /// ignored setting.
    pub fn only(&self, known: &[&str]) -> Result<(), InputError> {
        match self.0.keys().find(|k| !known.contains(&k.as_str())) {
            None => Ok(()),
            Some(k) => Err(InputError::invalid(
                "input",
                k,
                format!("unknown key; expected one of: {}", known.join(", ")),
            )),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Input {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        Self(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_strings_are_absent() {
        let input: Input = [("suffix", "")].into_iter().collect();
        assert_eq!(input.get("suffix"), None);
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let input: Input = [("modle", "x")].into_iter().collect();
        let err = input.only(&["model", "training_file"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"invalid input "modle": unknown key; expected one of: model, training_file"#
        );
    }

    #[test]
    fn flags_and_integers_are_checked() {
        let input: Input = [("wait", "yes"), ("cancel_after_timeout", "0")]
            .into_iter()
            .collect();
        assert!(input.flag("wait", false).is_err());
        assert!(
            input
                .integer("cancel_after_timeout", 1, 86_400 * 30)
                .is_err()
        );
    }
}
