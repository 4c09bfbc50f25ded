//! Every id and name the core puts into a path, a body or a query, checked once at the edge: one
//! newtype each, and one rule for what an API id may contain, so nothing that could change a
//! path (`/`, `?`, `%`, `..`) ever reaches one, and one length cap, so none is too long to send.

use std::fmt;

use crate::error::{Error, InputError, quote};

/// The longest id or name accepted, in characters. The API's ids are under 64 and fine-tuned
/// model names under 128; anything much longer is a mistake or an attack, and would not fit
/// into a request line.
pub const MAX_ID_CHARS: usize = 256;

/// Refuses `value` when it is longer than [`MAX_ID_CHARS`].
fn within_cap(field: &str, value: &str) -> Result<(), InputError> {
    let chars = value.chars().count();
    if chars > MAX_ID_CHARS {
        return Err(InputError::invalid(
            field,
            value,
            format!("must be at most {MAX_ID_CHARS} characters (got {chars})"),
        ));
    }
    Ok(())
}

/// Whether `value` is one of `prefixes` followed by at least one of `[A-Za-z0-9_-]`: the shape
/// of every id the API hands out, and nothing a path could be bent with.
fn is_plain_id(value: &str, prefixes: &[&str]) -> bool {
    prefixes
        .iter()
        .find_map(|p| value.strip_prefix(p))
        .is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
}

/// `value` if it is a plain id after one of `prefixes`, else the refusal `rule`.
fn plain(field: &str, value: &str, prefixes: &[&str], rule: &str) -> Result<String, InputError> {
    within_cap(field, value)?;
    if is_plain_id(value, prefixes) {
        Ok(value.to_owned())
    } else {
        Err(InputError::invalid(field, value, rule))
    }
}

/// Declares a checked string newtype with `as_str` and `Display`.
macro_rules! checked_string {
    ($(#[$doc:meta])* $name:ident $(, $derive:ident)*) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq $(, $derive)*)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

checked_string!(
    /// A job id, checked before it goes into a path.
    JobId
);

impl JobId {
    /// Accepts `ftjob-...` (OpenAI, Azure v1) and `ft-...` (Azure classic) ids.
    pub fn parse(field: &str, value: &str) -> Result<Self, InputError> {
        plain(
            field,
            value,
            &["ftjob-", "ft-"],
            "must be a fine-tuning job id like \"ftjob-abc123\"",
        )
        .map(Self)
    }
}

checked_string!(
    /// The id of an uploaded file, `file-...` (OpenAI and Azure alike).
    FileId
);

impl FileId {
    /// Refuses anything else, most often a local path or a file name, which the API would only
    /// refuse later with a less helpful message.
    pub fn parse(field: &str, raw: &str) -> Result<Self, InputError> {
        plain(
            field,
            raw,
            &["file-"],
            "must be the id of an uploaded file, like \"file-abc123\" (upload the JSONL with \
                 purpose \"fine-tune\" and pass the id the upload returns, not a path or name)",
        )
        .map(Self)
    }
}

checked_string!(
    /// A project id (`proj_...`), checked before it goes into a body or a query.
    ProjectId,
    PartialOrd,
    Ord,
    Hash
);

impl ProjectId {
    /// Accepts `proj_` followed by letters, digits, `_` and `-`.
    pub fn parse(field: &str, value: &str) -> Result<Self, InputError> {
        plain(
            field,
            value,
            &["proj_"],
            "must be a project id like \"proj_abc123\"",
        )
        .map(Self)
    }
}

/// Checks a permission id from the API (`cp_...`) before it goes into a path.
pub fn permission_id(id: &str) -> Result<&str, Error> {
    if id.len() <= MAX_ID_CHARS && is_plain_id(id, &[""]) {
        Ok(id)
    } else {
        Err(Error::Failed(format!(
            "the API returned permission id {}, which is not a plain id; is OPENAI_BASE_URL an \
             OpenAI-compatible API?",
            quote(id)
        )))
    }
}

checked_string!(
    /// A fine-tuned model or checkpoint name (`ft:...`), checked so it can go into a path segment
    /// as is: `:` is legal in a segment, so nothing needs percent-encoding once the rest is
    /// refused.
    CheckpointName
);

impl CheckpointName {
    /// Accepts `ft:` followed by RFC 3986 segment characters that need no encoding (letters,
    /// digits, `-._~:@!$&'()*+,;=`), with no `..` anywhere.
    pub fn parse(field: &str, value: &str) -> Result<Self, InputError> {
        within_cap(field, value)?;
        let segment_safe = |c: char| c.is_ascii_alphanumeric() || "-._~:@!$&'()*+,;=".contains(c);
        match value.strip_prefix("ft:") {
            Some(rest)
                if !rest.is_empty() && rest.chars().all(segment_safe) && !value.contains("..") =>
            {
                Ok(Self(value.to_owned()))
            }
            _ => Err(InputError::invalid(
                field,
                value,
                "must be a fine-tuned model or checkpoint name like \
                 \"ft:gpt-4o-mini-2024-07-18:my-org:suffix:abc123\" (no /, ?, #, %, spaces or ..)",
            )),
        }
    }
}

checked_string!(
    /// The name of a base model (or a fine-tuned model to continue from).
    ModelName
);

impl ModelName {
    /// Any name the API might know is accepted (new snapshots appear all the time), but a name with
    /// whitespace or control characters is never one, and would break the `/models/{model}` path.
    pub fn parse(field: &str, raw: &str) -> Result<Self, InputError> {
        within_cap(field, raw)?;
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InputError::invalid(
                field,
                raw,
                "model names contain no spaces or control characters",
            ));
        }
        Ok(Self(raw.to_owned()))
    }
}

checked_string!(
    /// A job's idempotency key: `oaift-` and 32 lowercase hex digits, derived from the request
    /// (see `JobSpec::idempotency_key`) and stamped on the job so it can be found again.
    IdempotencyKey
);

impl IdempotencyKey {
    const PREFIX: &str = "oaift-";

    /// The key of a request digest: its first 128 bits.
    pub fn from_digest(digest: &[u8]) -> Self {
        Self(format!(
            "{}{}",
            Self::PREFIX,
            hex(&digest[..16.min(digest.len())])
        ))
    }

    /// A key a user copied from `job ensure`'s output.
    pub fn parse(field: &str, key: &str) -> Result<Self, InputError> {
        let ok = key
            .strip_prefix(Self::PREFIX)
            .is_some_and(|h| h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()));
        if ok {
            Ok(Self(key.to_owned()))
        } else {
            Err(InputError::invalid(
                field,
                key,
                "must be a key from job ensure, like \"oaift-\" and 32 hex digits",
            ))
        }
    }

    /// The hex digits without the prefix.
    pub fn digits(&self) -> &str {
        self.0.strip_prefix(Self::PREFIX).unwrap_or(&self.0)
    }
}

/// Lowercase hex of `bytes`: how digests are spelled in keys, file names and outputs.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_are_checked_before_they_reach_a_path() {
        assert!(JobId::parse("id", "ftjob-abc123").is_ok());
        assert!(JobId::parse("id", "ft-0123abcd").is_ok());
        let e = JobId::parse("id", "ftjob-../../files").unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"invalid id "ftjob-../../files": must be a fine-tuning job id like "ftjob-abc123""#
        );
        assert!(JobId::parse("id", "file-abc").is_err());
    }

    #[test]
    fn project_ids_are_checked() {
        assert!(ProjectId::parse("project_id", "proj_abc-123_X").is_ok());
        for bad in ["proj_", "proj-abc", "abc", "proj_a/b", "proj_a b", "proj_é"] {
            let e = ProjectId::parse("project_id", bad).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!(
                    "invalid project_id {}: must be a project id like \"proj_abc123\"",
                    crate::error::quote(bad)
                )
            );
        }
    }

    #[test]
    fn checkpoint_names_are_segment_safe() {
        for good in [
            "ft:gpt-4o-mini-2024-07-18:org:suffix:abc123",
            "ft:gpt-4o-mini-2024-07-18:org:suffix:abc123:ckpt-step-10",
        ] {
            assert_eq!(
                CheckpointName::parse("checkpoint", good).unwrap().as_str(),
                good
            );
        }
        for bad in [
            "ft:", "gpt-4o", "ft:a/b", "ft:a?b", "ft:a#b", "ft:a b", "ft:a..b", "ft:a%2fb",
            "ft:a\nb", "ft:é",
        ] {
            assert!(CheckpointName::parse("checkpoint", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn permission_ids_from_the_api_are_plain() {
        assert_eq!(permission_id("cp_abc-1").unwrap(), "cp_abc-1");
        for bad in ["", "cp/../x", "cp x", "cp%2f"] {
            let e = permission_id(bad).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!(
                    "the API returned permission id {}, which is not a plain id; is \
                     OPENAI_BASE_URL an OpenAI-compatible API?",
                    quote(bad)
                )
            );
        }
    }

    #[test]
    fn keys_are_the_prefix_and_32_hex_digits() {
        let key = IdempotencyKey::from_digest(&[0xab; 32]);
        assert_eq!(key.as_str(), format!("oaift-{}", "ab".repeat(16)));
        assert_eq!(key.digits(), "ab".repeat(16));
        assert_eq!(
            IdempotencyKey::parse("idempotency_key", key.as_str()),
            Ok(key)
        );
        let e = IdempotencyKey::parse("idempotency_key", "oaift-123").unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"invalid idempotency_key "oaift-123": must be a key from job ensure, like "oaift-" and 32 hex digits"#
        );
    }

    #[test]
    fn ids_and_names_are_capped_before_anything_else() {
        let long = |prefix: &str| format!("{prefix}{}", "a".repeat(40_000));
        let cases: [(&str, Result<(), InputError>); 5] = [
            ("ftjob-", JobId::parse("id", &long("ftjob-")).map(drop)),
            (
                "file-",
                FileId::parse("training_file", &long("file-")).map(drop),
            ),
            (
                "proj_",
                ProjectId::parse("project_id", &long("proj_")).map(drop),
            ),
            (
                "ft:",
                CheckpointName::parse("checkpoint", &long("ft:")).map(drop),
            ),
            ("gpt-", ModelName::parse("model", &long("gpt-")).map(drop)),
        ];
        for (prefix, result) in cases {
            let e = result.unwrap_err();
            let value = long(prefix);
            assert_eq!(
                e.to_string(),
                format!(
                    "invalid {} {}: must be at most 256 characters (got {})",
                    e.field,
                    quote(&value),
                    value.len()
                )
            );
        }
        assert!(JobId::parse("id", &format!("ftjob-{}", "a".repeat(250))).is_ok());
        assert!(permission_id(&"c".repeat(257)).is_err());
    }

    #[test]
    fn hex_is_lowercase_and_two_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(hex(&[]), "");
    }
}
