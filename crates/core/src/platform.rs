//! What the core needs from whoever runs it: one request at a time to the API, the clock, sleep,
//! a source of jitter, the granted input file and a progress channel. The wasm component
//! implements this with WIT imports; tests and the native benchmark implement it directly.

use std::time::Duration;

use crate::error::HttpError;
pub use crate::flavor::{Flavor, Surface};

/// The HTTP methods the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Delete,
    /// Create or replace by name (Azure Resource Manager).
    Put,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Put => "PUT",
        }
    }
}

/// Which key the host attaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// The project API key: jobs, files and models.
    Project,
    /// The organisation admin key: checkpoint permissions.
    Admin,
    /// The Azure Resource Manager token: deployments (only with [`Target::AzureManagement`]).
    Management,
}

/// One field of a multipart body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormField {
    Text {
        name: String,
        value: String,
    },
    /// The granted input file, streamed by the host under `filename`; the host stops the
    /// request if its bytes do not hash to `sha256` (what the core validated).
    GrantedFile {
        name: String,
        filename: String,
        sha256: String,
    },
}

/// A request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Json(String),
    Multipart(Vec<FormField>),
}

/// Which API a request goes to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Target {
    /// The configured API base (with the configured `api-version`, if any).
    #[default]
    Api,
    /// Azure only: the resource's dated API at this `api-version`, for what only it documents
    /// (models' retirement dates). Hosts refuse it under the openai flavour.
    AzureDated(String),
    /// Azure only: Azure Resource Manager at this `api-version` (deployments), with the
    /// [`Credential::Management`] token. Hosts refuse it under the openai flavour.
    AzureManagement(String),
}

/// A request relative to the API base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    /// Which API: the configured base, or Azure's dated API.
    pub target: Target,
    /// Starts with `/`, relative to the API base, already percent-encoded where needed.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Body>,
    pub credential: Credential,
    /// For a GET whose answer holds nothing secret: how many seconds old a copy the host kept
    /// may be (the WIT's `cache-hint`). A hint: a host may always send the request instead.
    pub max_age_seconds: Option<u32>,
}

impl Request {
    pub fn new(method: Method, path: impl Into<String>, credential: Credential) -> Self {
        Self {
            method,
            target: Target::Api,
            path: path.into(),
            query: Vec::new(),
            body: None,
            credential,
            max_age_seconds: None,
        }
    }

    /// Lets the host answer from a copy at most `seconds` old (GET only).
    pub fn cached(mut self, seconds: u32) -> Self {
        debug_assert_eq!(
            self.method,
            Method::Get,
            "only a GET may be answered from a copy"
        );
        self.max_age_seconds = Some(seconds);
        self
    }

    pub fn query(mut self, key: &str, value: impl Into<String>) -> Self {
        self.query.push((key.to_owned(), value.into()));
        self
    }

    /// Sends the request to `target` instead of the configured base.
    pub fn to(mut self, target: Target) -> Self {
        self.target = target;
        self
    }

    pub fn json(mut self, body: &serde_json::Value) -> Self {
        self.body = Some(Body::Json(body.to_string()));
        self
    }
}

/// An answer, whatever its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why the granted input file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    Denied(String),
    Io(String),
}

/// The capabilities the core runs on.
pub trait Platform {
    /// The API dialect the host is configured for.
    fn flavor(&self) -> Flavor {
        Flavor::OpenAi
    }
    /// The `api-version` the host adds to every request to the configured base (Azure's dated
    /// surface), if any.
    fn api_version(&self) -> Option<String> {
        None
    }
    /// The surface requests are shaped for: the flavour and, on the dated surface, the form of
    /// its `api-version`.
    fn surface(&self) -> Surface {
        Surface::of(self.flavor(), self.api_version().as_deref())
    }
    /// Sends one request; never retries.
    fn send(&mut self, request: &Request) -> Result<Response, HttpError>;
    /// Wall-clock time, Unix seconds.
    fn now(&self) -> u64;
    /// Blocks for `duration`.
    fn sleep(&mut self, duration: Duration);
    /// A uniformly random number in `0.0..1.0`, for jitter.
    fn random(&mut self) -> f64;
    /// One line of progress for the person watching (stderr). It may quote the server's words,
    /// line breaks included: show it through [`one_line`](crate::error::one_line).
    fn progress(&mut self, line: &str);
    /// The size of the granted input file.
    fn file_size(&mut self) -> Result<u64, FileError>;
    /// Up to `len` bytes of the granted input file from `offset`.
    fn file_read(&mut self, offset: u64, len: u32) -> Result<Vec<u8>, FileError>;
}
