//! The guest's only network access: one request at a time, sent as the host logic frames it
//! (`openai_ft_host_logic::request`: the path checked against the configured base, the URL, the
//! headers, the multipart body around the granted file) with the credential completed here, a
//! timeout on every phase, no redirects, a proxy only where the configuration allows one, the
//! platform's certificate verifier (corporate proxies bring private CAs), and every secret a
//! server echoes redacted from the answer.

use std::io::{Cursor, Read};
use std::sync::Arc;
use std::time::Duration;

use openai_ft_host_logic::request::{
    self as logic, BodyPart, Failure, HttpError, MAX_RESPONSE_BYTES, Phase, exchange_error,
    upload_error,
};
use ureq::http;
use ureq::tls::{RootCerts, TlsConfig};

use crate::bindings::wit_http as wit;
use crate::cache::Cache;
use crate::config::{Endpoint, Flavor, Secret};
use crate::granted::{Changed, GrantedFile};
use crate::redact::Redactor;
use crate::signin::{SignIn, SignInFailure, refused};
use openai_ft_host_logic::signin::{Audience, TOKEN_VARIABLE};

/// The client's buffer for a request's head (request line and headers), and its writes.
const OUTPUT_BUFFER: usize = 32 * 1024;

/// The HTTP client, built once per process.
pub struct Client {
    agent: ureq::Agent,
    /// For Azure Resource Manager, whose proxy is decided for its own endpoint.
    management_agent: ureq::Agent,
    endpoint: Endpoint,
    redactor: Arc<Redactor>,
    /// Where answers the guest lets be reused are kept (`OPENAI_FT_CACHE_DIR`), if anywhere.
    cache: Option<Cache>,
    /// Azure: the Entra ID sign-in, when the project credential is a token the host gets.
    signin: Option<SignIn>,
}

impl Client {
    pub fn new(endpoint: Endpoint) -> Self {
        let redactor = Arc::new(Redactor::new(endpoint.secrets()));
        let signin = endpoint
            .logic
            .signin
            .clone()
            .map(|chain| SignIn::new(chain, endpoint.clone(), redactor.clone()));
        Self {
            agent: agent(&endpoint, endpoint.proxy.as_ref()),
            management_agent: agent(&endpoint, endpoint.management_proxy.as_ref()),
            cache: Cache::new(&endpoint),
            endpoint,
            redactor,
            signin,
        }
    }

    /// An Entra ID token for `audience` (Azure's data plane, or Resource Manager), from the
    /// configured sign-in; `fresh` skips the cached one. For host code only: a token never
    /// enters the guest.
    pub fn token(&self, audience: Audience, fresh: bool) -> Result<String, SignInFailure> {
        match &self.signin {
            Some(signin) => signin.token(audience, fresh),
            None => Err(SignInFailure {
                message: "no Entra ID sign-in is configured (docs/azure.md, \"Sign in to Azure\")"
                    .into(),
                transient: false,
            }),
        }
    }

    /// The API dialect of the configured endpoint.
    pub fn flavor(&self) -> Flavor {
        self.endpoint.logic.flavor
    }

    /// The `api-version` added to every request to the configured base (azure-classic).
    pub fn api_version(&self) -> Option<String> {
        self.endpoint.logic.api_version().map(str::to_owned)
    }

    /// What removes this configuration's secrets from text.
    pub fn redactor(&self) -> Arc<Redactor> {
        self.redactor.clone()
    }

    /// Sends `request` once, or answers it from a copy young enough for its cache hint.
    /// Errors are one line naming the cause and the fix.
    pub fn send(
        &self,
        request: &wit::Request,
        file: Option<&GrantedFile>,
    ) -> Result<wit::Response, wit::Error> {
        let outgoing = logic::prepare(
            &self.endpoint.logic,
            &request_of(request),
            file.map(GrantedFile::size),
            boundary_seed(),
        )
        .map_err(wit_error)?;
        match (&self.cache, &request.cache) {
            (Some(cache), Some(hint)) => {
                let max_age = Duration::from_secs(hint.max_age_seconds.into());
                let url = outgoing.url.clone();
                cache.through(request, &url, max_age, || self.send_now(outgoing, file))
            }
            _ => self.send_now(outgoing, file),
        }
    }

    /// Sends the prepared request once; with an Entra token that the server refuses (401),
    /// once more with a new token (a refused request did nothing, so sending it again is safe).
    fn send_now(
        &self,
        outgoing: logic::Outgoing,
        file: Option<&GrantedFile>,
    ) -> Result<wit::Response, wit::Error> {
        if outgoing.credential.variable != TOKEN_VARIABLE {
            let credential = self.endpoint.header(&outgoing.credential);
            return self.exchange(outgoing, file, credential);
        }
        let audience = if outgoing.origin == self.endpoint.logic.base {
            Audience::CognitiveServices
        } else {
            Audience::Management
        };
        let bearer = |fresh| {
            self.token(audience, fresh)
                .map(|t| ("authorization".to_owned(), format!("Bearer {t}")))
                .map_err(|f| match f.transient {
                    true => wit::Error::Transport(f.message),
                    false => wit::Error::MissingCredential(f.message),
                })
        };
        let response = self.exchange(outgoing.clone(), file, bearer(false)?)?;
        if response.status != 401 {
            return Ok(response);
        }
        let response = self.exchange(outgoing, file, bearer(true)?)?;
        if response.status == 401
            && let Some(source) = self.signin.as_ref().and_then(SignIn::chosen)
        {
            eprintln!("{}", refused(&source, audience));
        }
        Ok(response)
    }

    /// Sends the prepared request once, with `credential` (a header's name and value).
    fn exchange(
        &self,
        outgoing: logic::Outgoing,
        file: Option<&GrantedFile>,
        (name, value): (String, String),
    ) -> Result<wit::Response, wit::Error> {
        let origin = outgoing.origin.clone();
        let mut builder = http::Request::builder()
            .method(outgoing.method)
            .uri(&outgoing.url)
            .header(name, value);
        for (name, value) in &outgoing.headers {
            builder = builder.header(name, value);
        }
        let changed = Changed::default();
        let allowed = Duration::from_secs(outgoing.deadline_secs.unwrap_or_default());
        let mut body: Box<dyn Read + Send> = Box::new(Cursor::new(Vec::new()));
        for part in outgoing.body {
            let part: Box<dyn Read + Send> = match (part, file) {
                (BodyPart::Bytes(bytes), _) => Box::new(Cursor::new(bytes)),
                (BodyPart::GrantedFile { sha256 }, Some(file)) => {
                    Box::new(file.upload_body(&sha256, allowed, &changed))
                }
                // The logic frames a file part only when a file was granted.
                (BodyPart::GrantedFile { .. }, None) => Box::new(Cursor::new(Vec::new())),
            };
            body = Box::new(body.chain(part));
        }
        let has_length = outgoing.headers.iter().any(|(k, _)| k == "content-length");
        let http_request = builder
            .body(if has_length {
                ureq::SendBody::from_owned_reader(body)
            } else {
                ureq::SendBody::none()
            })
            .map_err(|e| failed(&origin, &Failure::Unsendable(e.to_string())))?;
        let agent = if origin == self.endpoint.logic.base {
            &self.agent
        } else {
            &self.management_agent
        };
        let mut response = agent
            .run(http_request)
            .map_err(|e| match (changed.take(), file) {
                // The upload body stopped the request itself: say why, not how ureq saw it.
                (Some(stop), Some(file)) => wit_error(upload_error(&file.path(), &stop)),
                _ => failed(&origin, &failure(&e)),
            })?;
        let status = response.status().as_u16();
        // Whatever the server echoed of a key stops here: the guest never sees one.
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                let latin1: String = v.as_bytes().iter().map(|&b| char::from(b)).collect();
                (
                    k.as_str().to_owned(),
                    self.redactor.text(&latin1).into_owned(),
                )
            })
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            .map_err(|e| failed(&origin, &failure(&e)))?;
        Ok(wit::Response {
            status,
            headers: logic::response_headers(headers),
            body: response_body(self.redactor.bytes(&body).into_owned()),
        })
    }
}

/// A body as the guest gets it: text when it is UTF-8, as JSON always is, else its bytes (the
/// same bytes either way, and neither copies them).
pub(crate) fn response_body(bytes: Vec<u8>) -> wit::ResponseBody {
    String::from_utf8(bytes).map_or_else(
        |e| wit::ResponseBody::Bytes(e.into_bytes()),
        wit::ResponseBody::Text,
    )
}

/// A body's bytes, however it is passed.
pub(crate) fn body_bytes(body: &wit::ResponseBody) -> &[u8] {
    match body {
        wit::ResponseBody::Bytes(bytes) => bytes,
        wit::ResponseBody::Text(text) => text.as_bytes(),
    }
}

/// The guest's error for a failed exchange with `origin`.
fn failed(origin: &str, failure: &Failure) -> wit::Error {
    wit_error(exchange_error(origin, failure))
}

/// An agent for one destination: the API base or Azure Resource Manager, each with the proxy the
/// configuration decided for it (none for loopback, none for a NO_PROXY host), its URL already
/// checked; ureq must not read the environment again on its own.
fn agent(endpoint: &Endpoint, proxy: Option<&Secret>) -> ureq::Agent {
    let proxy = proxy.and_then(|p| ureq::Proxy::new(p.expose()).ok());
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        // A redirect could lead away from the configured base; the API never sends one.
        .max_redirects(0)
        .proxy(proxy)
        // Every phase is bounded, so no request can hold the host (where the guest's CPU
        // limit does not reach) for longer than its timeouts. Sending a body is bounded per
        // write (a stalled server) and in total by the upload body's own deadline.
        .timeout_connect(Some(endpoint.connect_timeout()))
        .timeout_send_request(Some(endpoint.timeout()))
        .timeout_per_write(Some(endpoint.timeout()))
        .timeout_recv_response(Some(endpoint.timeout()))
        .timeout_recv_body(Some(endpoint.timeout()))
        // API answers are small; ureq's 128 KiB defaults cost a measurable share of a
        // fresh process's time to allocate and zero (see bench/README.md).
        .input_buffer_size(32 * 1024)
        .output_buffer_size(OUTPUT_BUFFER)
        .tls_config(
            TlsConfig::builder()
                .root_certs(RootCerts::PlatformVerifier)
                .build(),
        )
        .build()
        .into()
}

/// The guest's request, as the host logic reads it.
fn request_of(r: &wit::Request) -> logic::Request {
    logic::Request {
        method: match r.method {
            wit::Method::Get => logic::Method::Get,
            wit::Method::Post => logic::Method::Post,
            wit::Method::Delete => logic::Method::Delete,
            wit::Method::Put => logic::Method::Put,
        },
        target: match &r.target {
            wit::Target::Api => logic::Target::Api,
            wit::Target::AzureDated(version) => logic::Target::AzureDated(version.clone()),
            wit::Target::AzureManagement(version) => {
                logic::Target::AzureManagement(version.clone())
            }
        },
        path: r.path.clone(),
        query: r.query.clone(),
        body: r.body.as_ref().map(|b| match b {
            wit::Body::Json(json) => logic::Body::Json(json.clone()),
            wit::Body::Multipart(fields) => logic::Body::Multipart(
                fields
                    .iter()
                    .map(|f| match f {
                        wit::FormField::Text((name, value)) => {
                            logic::FormField::Text(name.clone(), value.clone())
                        }
                        wit::FormField::GrantedFile(p) => logic::FormField::GrantedFile {
                            name: p.name.clone(),
                            filename: p.filename.clone(),
                            sha256: p.sha256.clone(),
                        },
                    })
                    .collect(),
            ),
        }),
        credential: match r.credential {
            wit::Credential::Project => logic::CredentialKind::Project,
            wit::Credential::Admin => logic::CredentialKind::Admin,
            wit::Credential::Management => logic::CredentialKind::Management,
        },
    }
}

fn wit_error(e: HttpError) -> wit::Error {
    match e {
        HttpError::Denied(m) => wit::Error::Denied(m),
        HttpError::Timeout(m) => wit::Error::Timeout(m),
        HttpError::Transport(m) => wit::Error::Transport(m),
        HttpError::MissingCredential(m) => wit::Error::MissingCredential(m),
        HttpError::FileChanged(m) => wit::Error::FileChanged(m),
    }
}

fn boundary_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0x5eed)
        ^ u64::from(std::process::id()) << 32
}

/// What went wrong, as the host logic words it: a request that cannot be written at all (a path
/// longer than the client's buffer) is refused rather than retried, since it could only fail the
/// same way.
fn failure(e: &ureq::Error) -> Failure {
    use std::io::ErrorKind;
    match e {
        ureq::Error::Protocol(ureq_proto::Error::OutputOverflow) => {
            Failure::HeadTooLarge((OUTPUT_BUFFER >> 10) as u32)
        }
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => Failure::Unsendable(e.to_string()),
        ureq::Error::Timeout(which) => Failure::Timeout(match which {
            ureq::Timeout::Connect | ureq::Timeout::Resolve => Some(Phase::Connect),
            ureq::Timeout::SendRequest | ureq::Timeout::SendBody | ureq::Timeout::PerWrite => {
                Some(Phase::SendRequest)
            }
            ureq::Timeout::RecvResponse => Some(Phase::ReceiveResponse),
            ureq::Timeout::RecvBody => Some(Phase::ReceiveBody),
            _ => None,
        }),
        ureq::Error::Io(io) if io.kind() == ErrorKind::TimedOut => Failure::Timeout(None),
        ureq::Error::HostNotFound => Failure::Unresolved,
        ureq::Error::Io(io) if io.kind() == ErrorKind::ConnectionRefused => Failure::Refused,
        ureq::Error::Io(io) if io.kind() == ErrorKind::ConnectionReset => Failure::Reset,
        ureq::Error::Io(io) if io.kind() == ErrorKind::UnexpectedEof => Failure::Disconnected,
        ureq::Error::ConnectionFailed => Failure::Unreachable,
        ureq::Error::BodyExceedsLimit(_) => Failure::TooLarge,
        other => Failure::Other(other.to_string()),
    }
}
