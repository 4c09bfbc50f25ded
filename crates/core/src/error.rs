//! Every way a command can fail, as a value. The component maps these onto the WIT `error`
//! variant and the host prints the `Display` form as the one line a user sees, so each message
//! names the cause and the fix.

use std::fmt::{self, Write};

use openai_ft_host_logic::inert::OneLine;

/// A failure of one command.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The input was refused before any request was sent.
    Input(InputError),
    /// The API answered with an error status (boxed: it is by far the largest case).
    Api(Box<ApiError>),
    /// The host could not complete a request (no answer, refused, or no credential).
    Http(HttpError),
    /// The operation reached a state the user has to act on (for example a training file that
    /// failed validation on the server).
    Failed(String),
}

/// A refused input: which field, the offending value (absent when the field is missing) and the
/// rule it breaks.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    pub field: String,
    pub value: Option<String>,
    pub rule: String,
}

impl InputError {
    /// `field` has `value`, which breaks `rule`.
    pub fn invalid(field: &str, value: &str, rule: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            value: Some(value.to_owned()),
            rule: rule.into(),
        }
    }

    /// `field` is required and absent; `rule` says what to set.
    pub fn missing(field: &str, rule: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            value: None,
            rule: rule.into(),
        }
    }
}

/// An error answer from the API.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    /// `error.message` from the body, or a short description of a body that had none.
    pub message: String,
    /// `error.type`, when the body had one.
    pub kind: Option<String>,
    /// `error.code`, when the body had one.
    pub code: Option<String>,
    /// `error.param`, when the body had one.
    pub param: Option<String>,
    /// `x-request-id` (or Azure's `apim-request-id`), for support tickets.
    pub request_id: Option<String>,
    /// What the user should do, from the troubleshooting table.
    pub hint: Option<String>,
    /// How long the server asked us to wait before trying again, if it said.
    pub retry_after: Option<std::time::Duration>,
}

/// Why the host could not complete a request.
#[derive(Debug, Clone, PartialEq)]
pub enum HttpError {
    /// The host refused the request (for example a path outside the API base).
    Denied(String),
    /// No answer within the host's timeout.
    Timeout(String),
    /// The connection failed or closed before a complete answer.
    Transport(String),
    /// The credential the request needs is not configured; names the environment variable.
    MissingCredential(String),
    /// The granted file's bytes are not the validated ones; the request was stopped before its
    /// body was complete.
    FileChanged(String),
}

impl HttpError {
    /// True when the request may have reached the server and been applied even though no answer
    /// came back, so a create must be resolved by looking it up rather than by re-sending it.
    pub fn may_have_committed(&self) -> bool {
        matches!(self, HttpError::Timeout(_) | HttpError::Transport(_))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<InputError> for Error {
    fn from(e: InputError) -> Self {
        Error::Input(e)
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(Box::new(e))
    }
}

impl From<HttpError> for Error {
    fn from(e: HttpError) -> Self {
        Error::Http(e)
    }
}

/// Quotes a user value for an error line: control characters escaped, long values shortened.
pub fn quote(value: &str) -> String {
    const MAX: usize = 80;
    let mut out = String::with_capacity(value.len().min(MAX) + 2);
    out.push('"');
    for (n, c) in value.chars().enumerate() {
        if n == MAX {
            out.push_str("...");
            break;
        }
        out.extend(c.escape_debug());
    }
    out.push('"');
    out
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "invalid {} {}: {}", self.field, quote(v), self.rule),
            None => write!(f, "missing {}: {}", self.field, self.rule),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "api error {}", self.status)?;
        if let Some(kind) = &self.kind {
            write!(f, " {kind}")?;
        }
        if let Some(code) = &self.code {
            write!(f, " ({code})")?;
        }
        write!(f, ": {}", self.message.trim_end_matches('.'))?;
        if let Some(param) = &self.param {
            write!(f, " [param {param}]")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "; {hint}")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::Denied(m) => write!(f, "request denied by the host: {m}"),
            HttpError::Timeout(m) | HttpError::Transport(m) => f.write_str(m),
            HttpError::MissingCredential(m) | HttpError::FileChanged(m) => f.write_str(m),
        }
    }
}

/// The one line every error is shown as, whatever it quotes: the server's words (an error page,
/// a message, a status detail) may span lines and carry escapes ([`one_line`]).
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = OneLine::new(f);
        match self {
            Error::Input(e) => write!(line, "{e}"),
            Error::Api(e) => write!(line, "{e}"),
            Error::Http(e) => write!(line, "{e}"),
            Error::Failed(m) => line.write_str(m),
        }
    }
}

/// `text` as one inert line: each run of line breaks, escapes and other characters a terminal
/// acts on becomes one space. For progress lines, which quote the server's words as errors do;
/// the rule is the hosts' own (`openai_ft_host_logic::inert`).
pub use openai_ft_host_logic::inert::one_line;

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_errors_name_field_value_and_rule() {
        let e = InputError::invalid("n_epochs", "0", "must be \"auto\" or an integer 1-50");
        assert_eq!(
            e.to_string(),
            r#"invalid n_epochs "0": must be "auto" or an integer 1-50"#
        );
        let e = InputError::missing("model", "set it to the base model to fine-tune");
        assert_eq!(
            e.to_string(),
            "missing model: set it to the base model to fine-tune"
        );
    }

    #[test]
    fn errors_quoting_text_that_spans_lines_are_one_line() {
        // A proxy's error page as the message of an API error, as `api_error` keeps it.
        let page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n</html>";
        let e = Error::from(ApiError {
            status: 502,
            message: page.into(),
            kind: None,
            code: None,
            param: None,
            request_id: None,
            hint: None,
            retry_after: None,
        });
        assert_eq!(
            e.to_string(),
            "api error 502: <html> <head><title>502 Bad Gateway</title></head> </html>"
        );
        let e = Error::Failed("file-1 failed processing: line 1:\n\tbad token".into());
        assert_eq!(e.to_string(), "file-1 failed processing: line 1: bad token");
        // Progress lines: every run of control characters is one space, the rest is kept.
        assert_eq!(one_line("a\r\n\r\nb\x1b[0m c\u{85}"), "a b [0m c ");
    }

    #[test]
    fn quote_escapes_and_shortens() {
        assert_eq!(quote("a\"b\nc"), r#""a\"b\nc""#);
        let long = "x".repeat(100);
        assert_eq!(quote(&long), format!("\"{}...\"", "x".repeat(80)));
    }
}
