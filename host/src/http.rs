//! The guest's only network access: one request at a time to the configured API base, with the
//! credential the guest names attached here, timeouts on every phase, no redirects, a proxy
//! only where the configuration allows one, the platform's certificate verifier (corporate
//! proxies bring private CAs), and every secret a server echoes redacted from the answer.

use std::io::{Cursor, Read};
use std::sync::Arc;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use ureq::http;
use ureq::tls::{RootCerts, TlsConfig};

use crate::bindings::wit_http as wit;
use crate::config::{Endpoint, Flavor};
use crate::granted::{Changed, GrantedFile, Stop};
use crate::redact::Redactor;

/// The largest answer the host accepts; fine-tuning answers are small, file downloads are not
/// made through the guest.
const MAX_RESPONSE_BYTES: u64 = 64 << 20;

/// The client's buffer for a request's head (request line and headers), and its writes.
const OUTPUT_BUFFER: usize = 32 * 1024;

/// The HTTP client, built once per process.
pub struct Client {
    agent: ureq::Agent,
    endpoint: Endpoint,
    redactor: Arc<Redactor>,
}

impl Client {
    pub fn new(endpoint: Endpoint) -> Self {
        // The configuration decided the proxy (none for loopback, none for a NO_PROXY host) and
        // checked its URL; ureq must not read the environment again on its own.
        let proxy = endpoint
            .proxy
            .as_ref()
            .and_then(|p| ureq::Proxy::new(p.expose()).ok());
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // A redirect could lead away from the configured base; the API never sends one.
            .max_redirects(0)
            .proxy(proxy)
            // Every phase is bounded, so no request can hold the host (where the guest's CPU
            // limit does not reach) for longer than its timeouts. Sending a body is bounded per
            // write (a stalled server) and in total by the upload body's own deadline.
            .timeout_connect(Some(endpoint.connect_timeout))
            .timeout_send_request(Some(endpoint.timeout))
            .timeout_per_write(Some(endpoint.timeout))
            .timeout_recv_response(Some(endpoint.timeout))
            .timeout_recv_body(Some(endpoint.timeout))
            .user_agent(concat!("openai-ft/", env!("CARGO_PKG_VERSION")))
            // API answers are small; ureq's 128 KiB defaults cost a measurable share of a
            // fresh process's time to allocate and zero (see bench/README.md).
            .input_buffer_size(32 * 1024)
            .output_buffer_size(OUTPUT_BUFFER)
            .tls_config(
                TlsConfig::builder()
                    .root_certs(RootCerts::PlatformVerifier)
                    .build(),
            )
            .build();
        let redactor = Arc::new(Redactor::new(endpoint.secrets()));
        Self {
            agent: config.into(),
            endpoint,
            redactor,
        }
    }

    /// The API dialect of the configured endpoint.
    pub fn flavor(&self) -> Flavor {
        self.endpoint.flavor
    }

    /// The `api-version` added to every request to the configured base (azure-classic).
    pub fn api_version(&self) -> Option<String> {
        self.endpoint.api_version.clone()
    }

    /// What removes this configuration's secrets from text.
    pub fn redactor(&self) -> Arc<Redactor> {
        self.redactor.clone()
    }

    /// Sends `request` once. Errors are one line naming the cause and the fix.
    pub fn send(
        &self,
        request: &wit::Request,
        file: Option<&GrantedFile>,
    ) -> Result<wit::Response, wit::Error> {
        check_path(&request.path)?;
        let (auth_name, auth_value) = match request.credential {
            wit::Credential::Project => self
                .endpoint
                .project_header()
                .map_err(wit::Error::MissingCredential)?,
            wit::Credential::Admin => self
                .endpoint
                .admin_header()
                .map_err(wit::Error::MissingCredential)?,
        };
        let url = self.url(request)?;
        let method = match request.method {
            wit::Method::Get => http::Method::GET,
            wit::Method::Post => http::Method::POST,
            wit::Method::Delete => http::Method::DELETE,
        };
        let mut builder = http::Request::builder()
            .method(method)
            .uri(&url)
            .header(auth_name, auth_value)
            .header("accept", "application/json");
        if let Some(org) = &self.endpoint.organization {
            builder = builder.header("openai-organization", org);
        }
        if let Some(project) = &self.endpoint.project_id {
            builder = builder.header("openai-project", project);
        }
        let changed = Changed::default();
        let (content_type, body): (Option<String>, Box<dyn Read + Send>) = match &request.body {
            None => (None, Box::new(Cursor::new(Vec::new()))),
            Some(wit::Body::Json(json)) => (
                Some("application/json".into()),
                Box::new(Cursor::new(json.clone().into_bytes())),
            ),
            Some(wit::Body::Multipart(fields)) => {
                let (boundary, length, reader) =
                    multipart(fields, file, self.endpoint.timeout, &changed)?;
                builder = builder.header("content-length", length.to_string());
                (
                    Some(format!("multipart/form-data; boundary={boundary}")),
                    reader,
                )
            }
        };
        if let Some(ct) = content_type {
            builder = builder.header("content-type", ct);
        }
        let has_body = request.body.is_some();
        let http_request = builder
            .body(if has_body {
                ureq::SendBody::from_owned_reader(body)
            } else {
                ureq::SendBody::none()
            })
            .map_err(|e| wit::Error::Denied(format!("cannot build the request: {e}")))?;
        let mut response = self
            .agent
            .run(http_request)
            .map_err(|e| match changed.take() {
                // The upload body stopped the request itself: say why, not how ureq saw it.
                Some(Stop::Changed(m)) => wit::Error::FileChanged(m),
                Some(Stop::TooSlow(m)) => wit::Error::Timeout(m),
                None => transport_error(&e, &self.endpoint),
            })?;
        let status = response.status().as_u16();
        // Whatever the server echoed of a key stops here: the guest never sees one.
        let redact = |text: &str| self.redactor.text(text).into_owned();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_ascii_lowercase(), redact(v.to_str().ok()?))))
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            .map_err(|e| transport_error(&e, &self.endpoint))?;
        let body = self.redactor.bytes(&body).into_owned();
        Ok(wit::Response {
            status,
            headers,
            body,
        })
    }
}

impl Client {
    /// The URL of `request`: below the configured base (with the configured `api-version`), or
    /// for the `azure-dated` target below the Azure resource's dated API, with that version.
    fn url(&self, request: &wit::Request) -> Result<String, wit::Error> {
        let mut query = request.query.clone();
        let base = match &request.target {
            wit::Target::Api => {
                if let Some(version) = &self.endpoint.api_version {
                    query.push(("api-version".into(), version.clone()));
                }
                self.endpoint.base.clone()
            }
            wit::Target::AzureDated(version) => {
                let Some(root) = self.endpoint.azure_resource() else {
                    return Err(wit::Error::Denied(
                        "the component asked for Azure's dated API, which the openai flavour \
                         does not have"
                            .into(),
                    ));
                };
                query.push(("api-version".into(), version.clone()));
                format!("{root}/openai")
            }
        };
        Ok(format!("{base}{}{}", request.path, encode_query(&query)))
    }
}

/// Paths are relative to the base: no scheme or host, no dot segments that could climb out of
/// the base path, nothing that would end the path early.
fn check_path(path: &str) -> Result<(), wit::Error> {
    let bad_char = |c: char| !(c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@%/".contains(c));
    let dot_segment = path.split('/').any(|seg| {
        let decoded = seg.replace("%2e", ".").replace("%2E", ".");
        decoded == "." || decoded == ".."
    });
    if !path.starts_with('/') || path.starts_with("//") || path.contains(bad_char) || dot_segment {
        return Err(wit::Error::Denied(format!(
            "the component asked for path {path:?}, which is not a plain path under the API base"
        )));
    }
    Ok(())
}

/// What a query name or value percent-encodes: everything but RFC 3986's unreserved characters,
/// UTF-8 byte by byte, as `%XX` in upper-case hex.
const QUERY_ENCODES: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn encode_query(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.extend(utf8_percent_encode(k, QUERY_ENCODES));
        out.push('=');
        out.extend(utf8_percent_encode(v, QUERY_ENCODES));
    }
    out
}

/// Builds a streamed `multipart/form-data` body: text fields in memory, the granted file read
/// from disk as it is sent (from byte 0, checked against the validated digest; see
/// [`GrantedFile::upload_body`]), so a 512 MB upload never sits in memory.
fn multipart(
    fields: &[wit::FormField],
    file: Option<&GrantedFile>,
    timeout: std::time::Duration,
    changed: &Changed,
) -> Result<(String, u64, Box<dyn Read + Send>), wit::Error> {
    let boundary = format!("openai-ft-{:016x}", boundary_seed());
    let mut reader: Box<dyn Read + Send> = Box::new(Cursor::new(Vec::new()));
    let mut length = 0u64;
    let push = |reader: Box<dyn Read + Send>, part: Box<dyn Read + Send>| -> Box<dyn Read + Send> {
        Box::new(reader.chain(part))
    };
    for field in fields {
        let (head, part): (String, Box<dyn Read + Send>) = match field {
            wit::FormField::Text((name, value)) => {
                let head = format!(
                    "--{boundary}\r\ncontent-disposition: form-data; name=\"{}\"\r\n\r\n{value}\r\n",
                    escape_quoted(name)
                );
                (head, Box::new(Cursor::new(Vec::new())))
            }
            wit::FormField::GrantedFile(part) => {
                let file = file.ok_or_else(|| {
                    wit::Error::Denied(
                        "the component asked to upload a file, but no file was granted".into(),
                    )
                })?;
                let body = file.upload_body(&part.sha256, timeout, changed);
                length += file.size();
                let head = format!(
                    "--{boundary}\r\ncontent-disposition: form-data; name=\"{}\"; filename=\"{}\"\r\n\
                     content-type: application/octet-stream\r\n\r\n",
                    escape_quoted(&part.name),
                    escape_quoted(&part.filename)
                );
                // The part's last line break and the closing boundary come only after the body
                // has checked the whole file, so a changed file never makes a complete request.
                let tail: Box<dyn Read + Send> =
                    Box::new(body.chain(Cursor::new(b"\r\n".to_vec())));
                length += 2;
                (head, tail)
            }
        };
        length += head.len() as u64;
        reader = push(reader, Box::new(Cursor::new(head.into_bytes())));
        reader = push(reader, part);
    }
    let end = format!("--{boundary}--\r\n");
    length += end.len() as u64;
    reader = push(reader, Box::new(Cursor::new(end.into_bytes())));
    Ok((boundary, length, reader))
}

fn escape_quoted(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace(['\r', '\n'], " ")
}

fn boundary_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0x5eed)
        ^ u64::from(std::process::id()) << 32
}

/// Turns a ureq failure into the WIT error: a timeout, a transport failure that names the
/// base URL (never a key), or, for a request that cannot be written at all (a path longer than
/// the client's buffer), a refusal: retrying it could only fail the same way.
fn transport_error(e: &ureq::Error, endpoint: &Endpoint) -> wit::Error {
    let base = &endpoint.base;
    match e {
        ureq::Error::Protocol(ureq_proto::Error::OutputOverflow) => wit::Error::Denied(format!(
            "the request to {base} is too large to send (its path, query and headers exceed \
             {} KiB)",
            OUTPUT_BUFFER >> 10
        )),
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => {
            wit::Error::Denied(format!("the request to {base} cannot be sent: {e}"))
        }
        ureq::Error::Timeout(which) => wit::Error::Timeout(format!(
            "no answer from {base} within the timeout ({which}); raise OPENAI_FT_TIMEOUT or check the network"
        )),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
            wit::Error::Timeout(format!(
                "no answer from {base} within the timeout; raise OPENAI_FT_TIMEOUT or check the network"
            ))
        }
        ureq::Error::HostNotFound => wit::Error::Transport(format!(
            "cannot resolve the host of {base}; check OPENAI_BASE_URL and DNS"
        )),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            wit::Error::Transport(format!(
                "cannot connect to {base} (connection refused); check OPENAI_BASE_URL and that \
                 the server is running"
            ))
        }
        ureq::Error::ConnectionFailed => wit::Error::Transport(format!(
            "cannot connect to {base}; check OPENAI_BASE_URL, the network and any proxy settings"
        )),
        other => wit::Error::Transport(format!("request to {base} failed: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_under_the_base() {
        assert!(check_path("/fine_tuning/jobs/ftjob-1").is_ok());
        assert!(
            check_path("/fine_tuning/checkpoints/ft:gpt-4o-mini:org:x:abc/permissions").is_ok()
        );
        for bad in [
            "fine_tuning",
            "//evil.com/x",
            "/a/../b",
            "/a/%2e%2E/b",
            "/a?x=1",
            "/a#b",
            "/a b",
            "/a\\b",
        ] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn query_is_percent_encoded() {
        let q = encode_query(&[
            ("metadata[k]".into(), "a b&c".into()),
            ("limit".into(), "10".into()),
        ]);
        assert_eq!(q, "?metadata%5Bk%5D=a%20b%26c&limit=10");
        let q = encode_query(&[("after".into(), "é-._~/+=?#%".into())]);
        assert_eq!(q, "?after=%C3%A9-._~%2F%2B%3D%3F%23%25");
    }
}
