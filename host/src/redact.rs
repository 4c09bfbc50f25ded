//! Every secret the host holds (keys, tokens, a proxy's password) replaced by `[redacted]`
//! wherever a server could echo one back: in each answer before the guest sees it, and in
//! everything the host prints (the guest's progress lines, the output values, the error line).

use std::borrow::Cow;
use std::sync::RwLock;

/// What a secret becomes.
pub const REDACTED: &str = "[redacted]";

/// Secrets shorter than this are not searched for: every occurrence of a short string would
/// mangle unrelated text, and no real key or token is this short.
pub const MIN_SECRET_BYTES: usize = 8;

/// The spellings of the secrets to replace, longest first. Secrets learned while running (an
/// Entra token, a federated assertion) are added with [`Redactor::add`].
#[derive(Debug, Default)]
pub struct Redactor {
    forms: RwLock<Vec<Vec<u8>>>,
}

impl Redactor {
    /// Redacts `secrets` (those of at least [`MIN_SECRET_BYTES`]), as they are and as a JSON
    /// string would spell them: a key with a character JSON escapes (`"`, `\`, a control
    /// character, `/` for some servers, anything non-ASCII for others) arrives escaped inside a
    /// JSON body, and replacing the escaped form whole keeps the body valid JSON.
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Self {
        let redactor = Self::default();
        for secret in secrets {
            redactor.add(secret);
        }
        redactor
    }

    /// Redacts `secret` too, from now on.
    pub fn add(&self, secret: &str) {
        if secret.len() < MIN_SECRET_BYTES {
            return;
        }
        let json = serde_json::to_string(secret).unwrap_or_default();
        let json = json
            .strip_prefix('"')
            .and_then(|j| j.strip_suffix('"'))
            .unwrap_or_default();
        let slashed = json.replace('/', "\\/");
        let mut forms = self.forms.write().unwrap_or_else(|e| e.into_inner());
        for form in [
            secret.to_owned(),
            json.to_owned(),
            ascii_escaped(json),
            ascii_escaped(&slashed),
            slashed,
        ] {
            let form = form.into_bytes();
            if !forms.contains(&form) {
                forms.push(form);
            }
        }
        // Longest first, so an escaped form is replaced whole before a shorter one could
        // match inside it.
        forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    }

    fn forms(&self) -> std::sync::RwLockReadGuard<'_, Vec<Vec<u8>>> {
        self.forms.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The length of the longest spelling searched for: a piece of text cut anywhere but in
    /// the last `longest() - 1` bytes cannot split one.
    pub fn longest(&self) -> usize {
        self.forms().first().map_or(0, Vec::len)
    }

    /// `input` with every secret replaced.
    pub fn bytes<'a>(&self, input: &'a [u8]) -> Cow<'a, [u8]> {
        let mut out = Cow::Borrowed(input);
        for form in self.forms().iter() {
            if let Some(replaced) = replace(&out, form) {
                out = Cow::Owned(replaced);
            }
        }
        out
    }

    /// `input` with every secret replaced. Every form is valid UTF-8 and the replacement is
    /// ASCII, so the result is valid UTF-8 too.
    pub fn text<'a>(&self, input: &'a str) -> Cow<'a, str> {
        match self.bytes(input.as_bytes()) {
            Cow::Borrowed(_) => Cow::Borrowed(input),
            Cow::Owned(bytes) => Cow::Owned(
                String::from_utf8(bytes)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            ),
        }
    }
}

/// `input` with every occurrence of `form` replaced, or `None` when there is none.
fn replace(input: &[u8], form: &[u8]) -> Option<Vec<u8>> {
    let mut hits = memchr::memmem::find_iter(input, form).peekable();
    hits.peek()?;
    let mut out = Vec::with_capacity(input.len());
    let mut done = 0;
    for at in hits {
        out.extend_from_slice(&input[done..at]);
        out.extend_from_slice(REDACTED.as_bytes());
        done = at + form.len();
    }
    out.extend_from_slice(&input[done..]);
    Some(out)
}

/// A JSON string body with every non-ASCII character as `\uXXXX` (lower-case hex, surrogate
/// pairs beyond the BMP), as ASCII-only encoders write it.
fn ascii_escaped(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_occurrence_of_every_secret_goes() {
        let r = Redactor::new(["sk-proj-0123456789", "sk-admin-abcdefgh"]);
        assert_eq!(
            r.text("Bearer sk-proj-0123456789 and sk-admin-abcdefgh, sk-proj-0123456789!"),
            "Bearer [redacted] and [redacted], [redacted]!"
        );
        assert!(matches!(r.text("nothing here"), Cow::Borrowed(_)));
        assert_eq!(r.longest(), "sk-proj-0123456789".len());
    }

    #[test]
    fn short_secrets_are_left_alone() {
        let r = Redactor::new(["abc", "1234567"]);
        assert_eq!(r.text("abc 1234567"), "abc 1234567");
    }

    #[test]
    fn a_secret_json_would_escape_is_replaced_in_its_escaped_form_and_json_stays_valid() {
        let secret = "key/with\"quote\\and-é";
        let r = Redactor::new([secret]);
        for body in [
            serde_json::json!({"error": {"message": format!("bad key {secret}")}}).to_string(),
            format!(
                r#"{{"error":{{"message":"bad key {}"}}}}"#,
                r#"key\/with\"quote\\and-\u00e9"#
            ),
        ] {
            let out = r.text(&body);
            let parsed: serde_json::Value = serde_json::from_str(&out).expect("still JSON");
            assert_eq!(parsed["error"]["message"], "bad key [redacted]", "{body}");
        }
        assert_eq!(r.text(&format!("raw {secret}")), "raw [redacted]");
    }
}
