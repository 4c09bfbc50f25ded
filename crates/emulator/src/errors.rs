//! The API's error body (`ErrorResponse`) and the constructors for the errors the emulator sends.
//! Every error carries all four keys (`message`, `type`, `param`, `code`) like the real service.
//! The Azure flavours render the same error in Azure's two shapes (see [`ApiError::body_for`]).
//! It depends on nothing else in the crate, so every module can build its errors.

use serde_json::{Value, json};
use std::cmp::Ordering;
use std::fmt::Display;

/// An error response: an HTTP status plus the `error` object of `ErrorResponse`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub message: String,
    pub kind: &'static str,
    pub param: Option<String>,
    pub code: Option<String>,
    /// Azure's own codes where the defaults do not fit (boxed: most errors have none, and a small
    /// error keeps every `Result` small).
    pub azure: Option<Box<AzureCodes>>,
}

/// The three shapes of an error body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorShape {
    /// OpenAI's `ErrorResponse`: `{message, type, param, code}`.
    OpenAi,
    /// Azure v1's `AzureErrorResponse`.
    AzureV1,
    /// The dated surface's `ErrorResponse` (Microsoft REST guidelines).
    AzureDated,
}

/// Codes of an error on the Azure surfaces.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AzureCodes {
    /// v1's `code` when it differs from OpenAI's (e.g. the gateway's `"401"`).
    pub both: Option<&'static str>,
    /// The dated surface's `code` (its `ErrorCode` enum) when the status default does not fit.
    pub classic: Option<&'static str>,
}

impl ApiError {
    pub fn new(status: u16, kind: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            kind,
            param: None,
            code: None,
            azure: None,
        }
    }

    /// 400 `invalid_request_error` naming the offending parameter.
    pub fn invalid(param: Option<&str>, message: impl Into<String>) -> Self {
        let mut e = ApiError::new(400, "invalid_request_error", message);
        e.param = param.map(str::to_string);
        e
    }

    /// 404 `invalid_request_error`.
    pub fn not_found(param: Option<&str>, message: impl Into<String>) -> Self {
        let mut e = ApiError::new(404, "invalid_request_error", message);
        e.param = param.map(str::to_string);
        e
    }

    pub fn with_code(mut self, code: &str) -> Self {
        self.code = Some(code.to_string());
        self
    }

    /// Sets the code v1 uses in place of the OpenAI one (the dated surface keeps its enum's).
    pub fn azure(mut self, code: &'static str) -> Self {
        self.azure.get_or_insert_default().both = Some(code);
        self
    }

    /// Sets the classic surface's REST-guideline code (e.g. `unexpectedEntityState`).
    pub fn classic(mut self, code: &'static str) -> Self {
        self.azure.get_or_insert_default().classic = Some(code);
        self
    }

    pub fn missing(param: &str) -> Self {
        ApiError::invalid(
            Some(param),
            format!("Missing required parameter: '{param}'."),
        )
        .with_code("missing_required_parameter")
    }

    pub fn invalid_type(param: &str, expected: &str, got: &Value) -> Self {
        ApiError::invalid(
            Some(param),
            format!(
                "Invalid type for '{param}': expected {expected}, but got {} instead.",
                json_kind(got)
            ),
        )
        .with_code("invalid_type")
    }

    /// A number under its minimum, worded like the real API: `kind` is `integer` or `decimal`,
    /// `bound` the comparison it failed (`>= 1`, `> 0`).
    fn below_min(param: &str, kind: &str, bound: &str, got: impl Display) -> Self {
        ApiError::invalid(
            Some(param),
            format!("Invalid '{param}': {kind} below minimum value. Expected a value {bound}, but got {got} instead."),
        )
        .with_code(&format!("{kind}_below_min_value"))
    }

    /// A number over its maximum, worded like the real API.
    fn above_max(param: &str, kind: &str, max: impl Display, got: impl Display) -> Self {
        ApiError::invalid(
            Some(param),
            format!("Invalid '{param}': {kind} above maximum value. Expected a value <= {max}, but got {got} instead."),
        )
        .with_code(&format!("{kind}_above_max_value"))
    }

    pub fn bad_json() -> Self {
        ApiError::invalid(
            None,
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
        )
    }

    pub fn unknown_argument(name: &str) -> Self {
        ApiError::invalid(
            None,
            format!("Unrecognized request argument supplied: {name}"),
        )
    }

    pub fn invalid_url(method: &str, path: &str) -> Self {
        ApiError::not_found(None, format!("Invalid URL ({method} {path})"))
    }

    /// The error body in `shape`. Azure v1 (`AzureErrorResponse`): `{code, message, param?,
    /// type: "error", inner_error: {code}}`, the inner error naming the dated surface's code.
    /// Dated (`ErrorResponse`): `{code, message, target?, details: [], innererror?}`, `code` from
    /// its `ErrorCode` enum and an `innererror` only for a refused payload (its `InnerErrorCode`
    /// enum has only `invalidPayload`). Neither Azure schema lets `param`/`target` be null, so an
    /// error about no parameter leaves them out.
    pub fn body_for(&self, shape: ErrorShape) -> Value {
        let codes = self.azure.as_deref().cloned().unwrap_or_default();
        let v1_code = codes
            .both
            .map(str::to_string)
            .or_else(|| self.code.clone())
            .unwrap_or_else(|| self.status.to_string());
        let dated_code = codes
            .classic
            .unwrap_or_else(|| dated_default(self.status))
            .to_string();
        let mut body = match shape {
            ErrorShape::OpenAi => return self.body(),
            ErrorShape::AzureV1 => json!({
                "code": v1_code,
                "message": self.message,
                "type": "error",
                "inner_error": {"code": dated_code},
            }),
            ErrorShape::AzureDated => json!({
                "code": dated_code,
                "message": self.message,
                "details": [],
            }),
        };
        let named = if shape == ErrorShape::AzureV1 {
            "param"
        } else {
            "target"
        };
        if let Some(param) = &self.param {
            body[named] = json!(param);
        }
        if shape == ErrorShape::AzureDated && dated_code == "invalidPayload" {
            body["innererror"] = json!({"code": "invalidPayload"});
        }
        json!({ "error": body })
    }

    pub fn body(&self) -> Value {
        json!({"error": {
            "message": self.message,
            "type": self.kind,
            "param": self.param,
            "code": self.code,
        }})
    }
}

/// The dated surface's error code for a status (its `ErrorCode` enum).
fn dated_default(status: u16) -> &'static str {
    match status {
        401 => "unauthorized",
        403 => "forbidden",
        404 => "notFound",
        409 => "conflict",
        429 => "tooManyRequests",
        503 => "serviceUnavailable",
        500..=599 => "internalFailure",
        _ => "invalidPayload",
    }
}

/// `x` if it is within its bounds, else the real API's refusal of `param`: at least `min` (more
/// than `min` when `exclusive`; NaN never is) and at most `max`. `kind` is `integer` or `decimal`.
pub fn in_range<T: PartialOrd + Display + Copy>(
    x: T,
    param: &str,
    kind: &str,
    (min, exclusive): (T, bool),
    max: Option<T>,
) -> Result<T, ApiError> {
    let under = match x.partial_cmp(&min) {
        Some(Ordering::Greater) => false,
        Some(Ordering::Equal) => exclusive,
        Some(Ordering::Less) | None => true,
    };
    if under {
        let op = if exclusive { ">" } else { ">=" };
        return Err(ApiError::below_min(param, kind, &format!("{op} {min}"), x));
    }
    match max {
        Some(max) if x > max => Err(ApiError::above_max(param, kind, max, x)),
        _ => Ok(x),
    }
}

/// Allowed values as error messages list them: `'a', 'b', 'c'`.
pub fn quoted(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
    quoted.join(", ")
}

/// The article-prefixed JSON type name the real API uses in `invalid_type` messages.
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a decimal",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
