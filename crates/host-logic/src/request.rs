//! One request as the host sends it, decided here: the path checked against the base, the URL
//! with its query encoded, the headers, and a multipart body framed around the granted file,
//! which the host streams from disk ([`prepare`]); then what the answer's headers keep
//! ([`response_headers`]) and how each way an exchange can fail is worded ([`exchange_error`],
//! [`upload_error`]), naming the base URL and never a key.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::config::{Credential, Endpoint, SecretHeader};
use crate::quote;

/// The slowest an upload may average, on top of one timeout: a body sent more slowly is stopped
/// rather than left to trickle for days (512 MB at this rate is about two hours).
pub const MIN_UPLOAD_BYTES_PER_SEC: u64 = 64 << 10;

/// The largest answer a host accepts; fine-tuning answers are small.
pub const MAX_RESPONSE_BYTES: u64 = 64 << 20;

/// The most the guest may read of the granted file in one call; it streams larger files.
pub const MAX_READ_BYTES: u32 = 1 << 20;

/// The guest's request (the WIT's `http.request`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    pub target: Target,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Body>,
    pub credential: CredentialKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Delete,
    Put,
}

/// Which API a request goes to (the WIT's `http.target`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The configured base, with the configured `api-version` (if any).
    Api,
    /// Azure only: the same resource's dated API, with this `api-version` and no other.
    AzureDated(String),
    /// Azure only: Azure Resource Manager, with this `api-version` and no other; only with the
    /// management credential.
    AzureManagement(String),
}

/// Which credential a request names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    Project,
    Admin,
    Management,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Json(String),
    Multipart(Vec<FormField>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormField {
    Text(String, String),
    /// The granted file: the part's name, its file name, and the SHA-256 the guest validated.
    GrantedFile {
        name: String,
        filename: String,
        sha256: String,
    },
}

/// Why a request got no answer (the WIT's `http.error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    Denied(String),
    Timeout(String),
    Transport(String),
    MissingCredential(String),
    FileChanged(String),
}

/// A piece of a request body, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyPart {
    Bytes(Vec<u8>),
    /// The granted file's bytes, read from byte 0 as they are sent, hashed on the way and
    /// checked against this lower-case hex SHA-256 before the part that follows is sent.
    GrantedFile {
        sha256: String,
    },
}

/// A request ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// `GET`, `POST`, `DELETE` or `PUT`.
    pub method: &'static str,
    pub url: String,
    /// The base the URL is under (the API base, or Azure Resource Manager's endpoint): what
    /// [`exchange_error`] names when the exchange fails.
    pub origin: String,
    /// The credential's header, for the host to complete with the secret's value.
    pub credential: SecretHeader,
    /// Every other header, in order (`content-length` included for a body, and `0` for a POST
    /// or DELETE without one).
    pub headers: Vec<(String, String)>,
    pub body: Vec<BodyPart>,
    /// How long the body of an upload may take to send, in seconds (the timeout plus 1 s per
    /// 64 KiB of file); `None` without a file.
    pub deadline_secs: Option<u64>,
}

/// Decides how `request` is sent under `endpoint`. `file_size` is the granted file's size at
/// open, if a file was granted; `seed` makes the multipart boundary (any number will do).
pub fn prepare(
    endpoint: &Endpoint,
    request: &Request,
    file_size: Option<u64>,
    seed: u64,
) -> Result<Outgoing, HttpError> {
    check_path(&request.path)?;
    // The management token goes to Azure Resource Manager only, and nothing else goes there.
    let to_management = matches!(request.target, Target::AzureManagement(_));
    if to_management != (request.credential == CredentialKind::Management) {
        return Err(HttpError::Denied(
            "the component asked to send the Azure Resource Manager token anywhere but Azure \
             Resource Manager, or another credential there"
                .into(),
        ));
    }
    // Signed in to Azure, the data plane and, without a hand-set AZURE_MANAGEMENT_TOKEN, Azure
    // Resource Manager take the sign-in's tokens (each for its own audience, host side).
    let signed_in = &Credential::Header(SecretHeader {
        name: "authorization".into(),
        prefix: "Bearer ".into(),
        variable: crate::signin::TOKEN_VARIABLE.into(),
    });
    let credential = match request.credential {
        CredentialKind::Project if endpoint.signin.is_some() => signed_in,
        CredentialKind::Project => &endpoint.project,
        CredentialKind::Admin => &endpoint.admin,
        CredentialKind::Management
            if endpoint.signin.is_some()
                && matches!(endpoint.management, Credential::Missing(_)) =>
        {
            signed_in
        }
        CredentialKind::Management => &endpoint.management,
    };
    let credential = match credential {
        Credential::Header(header) => header.clone(),
        Credential::Missing(message) => return Err(HttpError::MissingCredential(message.clone())),
    };
    let mut query = request.query.clone();
    let (base, origin) = match &request.target {
        Target::Api => {
            query.extend(endpoint.query.iter().cloned());
            (endpoint.base.clone(), endpoint.base.clone())
        }
        Target::AzureManagement(version) => {
            if endpoint.azure_resource().is_none() {
                return Err(HttpError::Denied(
                    "the component asked for Azure Resource Manager, which the openai flavour \
                     does not have"
                        .into(),
                ));
            }
            query.push(("api-version".to_owned(), version.clone()));
            (
                endpoint.management_base.clone(),
                endpoint.management_base.clone(),
            )
        }
        Target::AzureDated(version) => {
            let Some(resource) = endpoint.azure_resource() else {
                return Err(HttpError::Denied(
                    "the component asked for Azure's dated API, which the openai flavour does not \
                     have"
                        .into(),
                ));
            };
            query.push(("api-version".to_owned(), version.clone()));
            (format!("{resource}/openai"), endpoint.base.clone())
        }
    };
    let url = format!("{base}{}{}", request.path, encode_query(&query));
    let mut headers = endpoint.headers.clone();
    let (content_type, body, deadline_secs) = match &request.body {
        None => (None, Vec::new(), None),
        Some(Body::Json(json)) => (
            Some("application/json".to_owned()),
            alloc::vec![BodyPart::Bytes(json.as_bytes().to_vec())],
            None,
        ),
        Some(Body::Multipart(fields)) => {
            let boundary = format!("openai-ft-{seed:016x}");
            let body = multipart(fields, &boundary, file_size)?;
            let deadline = file_size
                .map(|size| u64::from(endpoint.timeout_secs) + size / MIN_UPLOAD_BYTES_PER_SEC);
            let has_file = body
                .iter()
                .any(|p| matches!(p, BodyPart::GrantedFile { .. }));
            (
                Some(format!("multipart/form-data; boundary={boundary}")),
                body,
                deadline.filter(|_| has_file),
            )
        }
    };
    if let Some(content_type) = content_type {
        headers.push(("content-type".to_owned(), content_type));
    }
    let length: u64 = body
        .iter()
        .map(|part| match part {
            BodyPart::Bytes(bytes) => bytes.len() as u64,
            BodyPart::GrantedFile { .. } => file_size.unwrap_or_default(),
        })
        .sum();
    if request.body.is_some() || request.method != Method::Get {
        headers.push(("content-length".to_owned(), length.to_string()));
    }
    Ok(Outgoing {
        method: match request.method {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Put => "PUT",
        },
        url,
        origin,
        credential,
        headers,
        body,
        deadline_secs,
    })
}

/// Paths are relative to the base: no scheme or host, no dot segments that could climb out of
/// the base path, nothing that would end the path early.
fn check_path(path: &str) -> Result<(), HttpError> {
    let bad_char = |c: char| !(c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@%/".contains(c));
    let dot_segment = path.split('/').any(|seg| {
        let decoded = seg.replace("%2e", ".").replace("%2E", ".");
        decoded == "." || decoded == ".."
    });
    if !path.starts_with('/') || path.starts_with("//") || path.contains(bad_char) || dot_segment {
        return Err(HttpError::Denied(format!(
            "the component asked for path {}, which is not a plain path under the API base",
            quote(path)
        )));
    }
    Ok(())
}

/// The query, each name and value percent-encoded byte by byte (UTF-8) except RFC 3986's
/// unreserved characters, as `%XX` in upper-case hex.
fn encode_query(pairs: &[(String, String)]) -> String {
    fn encode(out: &mut String, s: &str) {
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        encode(&mut out, k);
        out.push('=');
        encode(&mut out, v);
    }
    out
}

/// The multipart body: text fields in full, the granted file as a part the host streams. The
/// part's last line break and the closing boundary follow the file, so a host that stops at a
/// changed file never sends a complete request.
fn multipart(
    fields: &[FormField],
    boundary: &str,
    file_size: Option<u64>,
) -> Result<Vec<BodyPart>, HttpError> {
    let mut parts = Vec::new();
    let mut text = String::new();
    for field in fields {
        match field {
            FormField::Text(name, value) => text.push_str(&format!(
                "--{boundary}\r\ncontent-disposition: form-data; name=\"{}\"\r\n\r\n{value}\r\n",
                escape_quoted(name)
            )),
            FormField::GrantedFile {
                name,
                filename,
                sha256,
            } => {
                if file_size.is_none() {
                    return Err(HttpError::Denied(
                        "the component asked to upload a file, but no file was granted".into(),
                    ));
                }
                text.push_str(&format!(
                    "--{boundary}\r\ncontent-disposition: form-data; name=\"{}\"; filename=\"{}\"\r\n\
                     content-type: application/octet-stream\r\n\r\n",
                    escape_quoted(name),
                    escape_quoted(filename)
                ));
                parts.push(BodyPart::Bytes(core::mem::take(&mut text).into_bytes()));
                parts.push(BodyPart::GrantedFile {
                    sha256: sha256.to_ascii_lowercase(),
                });
                text.push_str("\r\n");
            }
        }
    }
    text.push_str(&format!("--{boundary}--\r\n"));
    parts.push(BodyPart::Bytes(text.into_bytes()));
    Ok(parts)
}

fn escape_quoted(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace(['\r', '\n'], " ")
}

/// The answer's headers as the guest gets them: names in lower case, in order, duplicates kept,
/// values that are not visible ASCII dropped (each value as its bytes read as Latin-1).
pub fn response_headers(headers: Vec<(String, String)>) -> Vec<(String, String)> {
    headers
        .into_iter()
        .filter(|(_, v)| v.chars().all(|c| c == '\t' || (' '..='~').contains(&c)))
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect()
}

/// Which wait ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Connect,
    SendRequest,
    ReceiveResponse,
    ReceiveBody,
}

/// How an exchange failed, as the host's client saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No answer within the timeout, in a phase when the client says which.
    Timeout(Option<Phase>),
    /// The server refused the connection.
    Refused,
    /// The base's host name does not resolve.
    Unresolved,
    /// No route to the host, or the connection could not be made otherwise.
    Unreachable,
    /// The server closed the connection before a complete answer.
    Disconnected,
    /// The server reset the connection.
    Reset,
    /// The answer is larger than [`MAX_RESPONSE_BYTES`].
    TooLarge,
    /// The request's head is larger than the client can write (this many KiB).
    HeadTooLarge(u32),
    /// The client cannot send this request at all, in its own words.
    Unsendable(String),
    /// Anything else, in the client's own words.
    Other(String),
}

/// The guest's error for a failed exchange with `base`.
pub fn exchange_error(base: &str, failure: &Failure) -> HttpError {
    match failure {
        Failure::Timeout(phase) => {
            let phase = match phase {
                None => "",
                Some(Phase::Connect) => " (connect)",
                Some(Phase::SendRequest) => " (send request)",
                Some(Phase::ReceiveResponse) => " (receive response)",
                Some(Phase::ReceiveBody) => " (receive body)",
            };
            HttpError::Timeout(format!(
                "no answer from {base} within the timeout{phase}; raise OPENAI_FT_TIMEOUT or check \
                 the network"
            ))
        }
        Failure::Refused => HttpError::Transport(format!(
            "cannot connect to {base} (connection refused); check OPENAI_BASE_URL and that the \
             server is running"
        )),
        Failure::Unresolved => HttpError::Transport(format!(
            "cannot resolve the host of {base}; check OPENAI_BASE_URL and DNS"
        )),
        Failure::Unreachable => HttpError::Transport(format!(
            "cannot connect to {base}; check OPENAI_BASE_URL, the network and any proxy settings"
        )),
        Failure::Disconnected => {
            HttpError::Transport(format!("request to {base} failed: io: Peer disconnected"))
        }
        Failure::Reset => HttpError::Transport(format!(
            "request to {base} failed: io: Connection reset by peer (os error 104)"
        )),
        Failure::TooLarge => HttpError::Transport(format!(
            "request to {base} failed: the answer is larger than {} MiB",
            MAX_RESPONSE_BYTES >> 20
        )),
        Failure::HeadTooLarge(kib) => HttpError::Denied(format!(
            "the request to {base} is too large to send (its path, query and headers exceed {kib} \
             KiB)"
        )),
        Failure::Unsendable(words) => {
            HttpError::Denied(format!("the request to {base} cannot be sent: {words}"))
        }
        Failure::Other(words) => HttpError::Transport(format!("request to {base} failed: {words}")),
    }
}

/// Why the granted file stopped an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadStop {
    /// Its bytes hash to `got`, not to the `expected` the guest validated.
    Digest { got: String, expected: String },
    /// It ends at byte `at`, before the `size` it had when it was validated.
    Short { at: u64, size: u64 },
    /// The upload took longer than its deadline, `secs`.
    TooSlow { secs: u64 },
}

/// The guest's error for an upload of the file at `path` that `stop` ended.
pub fn upload_error(path: &str, stop: &UploadStop) -> HttpError {
    let changed = |what: String| {
        HttpError::FileChanged(format!("{path} changed after it was validated ({what})"))
    };
    match stop {
        UploadStop::Digest { got, expected } => changed(format!(
            "its SHA-256 is {got}, not the {expected} validated"
        )),
        UploadStop::Short { at, size } => {
            changed(format!("it ends at byte {at}, not at the {size} validated"))
        }
        UploadStop::TooSlow { secs } => HttpError::Timeout(format!(
            "the upload of {path} took longer than {secs} s (the timeout plus 1 s per 64 KiB); \
             raise OPENAI_FT_TIMEOUT for a slow link"
        )),
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec;

    use super::*;
    use crate::config::{Configured, configure};

    fn endpoint(pairs: &[(&str, &str)]) -> Endpoint {
        let env: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| {
                let secret = k.ends_with("_KEY") || k.ends_with("_TOKEN");
                (
                    k.to_string(),
                    if secret {
                        crate::config::mask(v)
                    } else {
                        v.to_string()
                    },
                )
            })
            .collect();
        let Configured { settings, .. } = configure(&env);
        settings.unwrap().endpoint
    }

    fn get(path: &str) -> Request {
        Request {
            method: Method::Get,
            target: Target::Api,
            path: path.into(),
            query: vec![],
            body: None,
            credential: CredentialKind::Project,
        }
    }

    /// `azure-dated` goes to the resource's `{endpoint}/openai` with the version the guest named,
    /// under an Azure flavour only; `api` to the base with the configured version.
    #[test]
    fn a_request_reaches_the_base_or_azures_dated_api() {
        let url = |e: &Endpoint, target: Target| {
            let request = Request {
                target,
                ..get("/models/m")
            };
            prepare(e, &request, None, 0).map(|o| o.url)
        };
        let dated = |v: &str| Target::AzureDated(v.into());
        let classic = endpoint(&[
            ("OPENAI_FT_FLAVOR", "azure-classic"),
            ("AZURE_OPENAI_ENDPOINT", "https://r.openai.azure.com"),
            ("AZURE_OPENAI_API_KEY", "k"),
            ("OPENAI_API_VERSION", "2025-04-01-preview"),
        ]);
        assert_eq!(classic.api_version(), Some("2025-04-01-preview"));
        assert_eq!(
            url(&classic, Target::Api).unwrap(),
            "https://r.openai.azure.com/openai/models/m?api-version=2025-04-01-preview"
        );
        assert_eq!(
            url(&classic, dated("2024-10-21")).unwrap(),
            "https://r.openai.azure.com/openai/models/m?api-version=2024-10-21"
        );
        let v1 = endpoint(&[
            ("AZURE_OPENAI_ENDPOINT", "https://r.openai.azure.com"),
            ("AZURE_OPENAI_API_KEY", "k"),
        ]);
        assert_eq!(v1.api_version(), None);
        assert_eq!(
            url(&v1, Target::Api).unwrap(),
            "https://r.openai.azure.com/openai/v1/models/m"
        );
        assert_eq!(
            url(&v1, dated("2024-10-21")).unwrap(),
            "https://r.openai.azure.com/openai/models/m?api-version=2024-10-21"
        );
        let openai = endpoint(&[("OPENAI_API_KEY", "k")]);
        assert_eq!(
            url(&openai, dated("2024-10-21")),
            Err(HttpError::Denied(
                "the component asked for Azure's dated API, which the openai flavour does not have"
                    .into()
            ))
        );
    }

    /// `azure-management` goes to Azure Resource Manager's endpoint (the configured one, else
    /// management.azure.com) with the version the guest named, carrying the management token and
    /// nothing else; the token goes nowhere else; the openai flavour has no such target.
    #[test]
    fn azure_resource_manager_gets_its_token_and_only_it() {
        let arm = |credential, target| Request {
            method: Method::Put,
            target,
            credential,
            body: Some(Body::Json("{}".into())),
            ..get(
                "/subscriptions/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/a/deployments/d",
            )
        };
        let management = || Target::AzureManagement("2026-09-01".into());
        let azure = [
            ("AZURE_OPENAI_ENDPOINT", "https://r.openai.azure.com"),
            ("AZURE_OPENAI_API_KEY", "k"),
            ("AZURE_MANAGEMENT_TOKEN", "t"),
        ];
        let out = prepare(
            &endpoint(&azure),
            &arm(CredentialKind::Management, management()),
            None,
            0,
        )
        .unwrap();
        assert_eq!(out.method, "PUT");
        assert_eq!(
            out.url,
            "https://management.azure.com/subscriptions/s/resourceGroups/g/providers/\
             Microsoft.CognitiveServices/accounts/a/deployments/d?api-version=2026-09-01"
        );
        assert_eq!(out.origin, "https://management.azure.com");
        assert_eq!(
            out.credential,
            SecretHeader {
                name: "authorization".into(),
                prefix: "Bearer ".into(),
                variable: "AZURE_MANAGEMENT_TOKEN".into()
            }
        );
        let local = endpoint(&[
            azure[0],
            azure[1],
            azure[2],
            ("AZURE_RESOURCE_MANAGER_ENDPOINT", "http://127.0.0.1:9/"),
        ]);
        let out = prepare(
            &local,
            &arm(CredentialKind::Management, management()),
            None,
            0,
        )
        .unwrap();
        assert!(
            out.url.starts_with("http://127.0.0.1:9/subscriptions/s/"),
            "{}",
            out.url
        );
        let crossed = HttpError::Denied(
            "the component asked to send the Azure Resource Manager token anywhere but Azure \
             Resource Manager, or another credential there"
                .into(),
        );
        for (credential, target) in [
            (CredentialKind::Project, management()),
            (CredentialKind::Management, Target::Api),
            (
                CredentialKind::Management,
                Target::AzureDated("2024-10-21".into()),
            ),
        ] {
            assert_eq!(
                prepare(&local, &arm(credential, target), None, 0),
                Err(crossed.clone())
            );
        }
        let no_token = endpoint(&azure[..2]);
        assert!(matches!(
            prepare(&no_token, &arm(CredentialKind::Management, management()), None, 0),
            Err(HttpError::MissingCredential(m)) if m.starts_with("AZURE_MANAGEMENT_TOKEN is not set")
        ));
        let openai = endpoint(&[("OPENAI_API_KEY", "k"), ("AZURE_MANAGEMENT_TOKEN", "t")]);
        assert!(matches!(
            prepare(&openai, &arm(CredentialKind::Management, management()), None, 0),
            Err(HttpError::MissingCredential(m)) if m.starts_with("Azure Resource Manager is not part of the openai flavour")
        ));
        let Configured { settings, .. } = configure(&[
            (
                "AZURE_OPENAI_ENDPOINT".into(),
                "https://r.openai.azure.com".into(),
            ),
            (
                "AZURE_RESOURCE_MANAGER_ENDPOINT".into(),
                "http://management.example".into(),
            ),
        ]);
        assert_eq!(
            settings.unwrap_err(),
            "invalid AZURE_RESOURCE_MANAGER_ENDPOINT \"http://management.example\": must use https \
             (plain http is allowed only for loopback addresses such as http://127.0.0.1:8080/v1)"
        );
    }

    #[test]
    fn paths_stay_under_the_base() {
        let e = endpoint(&[("OPENAI_API_KEY", "k")]);
        for ok in [
            "/fine_tuning/jobs/ftjob-1",
            "/fine_tuning/checkpoints/ft:gpt-4o-mini:org:x:abc/permissions",
        ] {
            assert!(prepare(&e, &get(ok), None, 0).is_ok(), "{ok}");
        }
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
            assert_eq!(
                prepare(&e, &get(bad), None, 0).unwrap_err(),
                HttpError::Denied(format!(
                    "the component asked for path {}, which is not a plain path under the API base",
                    quote(bad)
                ))
            );
        }
    }

    #[test]
    fn the_url_carries_the_encoded_query_and_azure_classics_version() {
        let e = endpoint(&[
            ("OPENAI_FT_FLAVOR", "azure-classic"),
            ("AZURE_OPENAI_ENDPOINT", "https://r.openai.azure.com"),
            ("AZURE_OPENAI_API_KEY", "k"),
            ("OPENAI_API_VERSION", "2025-04-01-preview"),
        ]);
        let mut r = get("/fine_tuning/jobs");
        r.query = vec![
            ("metadata[k]".into(), "a b&c".into()),
            ("after".into(), "é-._~/+=?#%".into()),
        ];
        let out = prepare(&e, &r, None, 0).unwrap();
        assert_eq!(
            out.url,
            "https://r.openai.azure.com/openai/fine_tuning/jobs?metadata%5Bk%5D=a%20b%26c&after=%C3%A9-._~%2F%2B%3D%3F%23%25&api-version=2025-04-01-preview"
        );
        assert_eq!(
            out.credential,
            SecretHeader {
                name: "api-key".into(),
                prefix: String::new(),
                variable: "AZURE_OPENAI_API_KEY".into()
            }
        );
    }

    #[test]
    fn a_missing_credential_is_the_configurations_message() {
        let e = endpoint(&[]);
        let mut r = get("/x");
        r.credential = CredentialKind::Admin;
        assert_eq!(
            prepare(&e, &r, None, 0).unwrap_err(),
            HttpError::MissingCredential(match e.admin {
                Credential::Missing(m) => m,
                Credential::Header(_) => unreachable!(),
            })
        );
    }

    #[test]
    fn bodies_are_framed_with_their_length() {
        let e = endpoint(&[("OPENAI_API_KEY", "k")]);
        let mut r = get("/files");
        r.method = Method::Post;
        r.body = Some(Body::Multipart(vec![
            FormField::Text("purpose".into(), "fine-tune".into()),
            FormField::GrantedFile {
                name: "fi\"le".into(),
                filename: "a\r\nb.jsonl".into(),
                sha256: "AB".into(),
            },
        ]));
        assert_eq!(
            prepare(&e, &r, None, 1).unwrap_err(),
            HttpError::Denied(
                "the component asked to upload a file, but no file was granted".into()
            )
        );
        let out = prepare(&e, &r, Some(10 << 20), 0x1f).unwrap();
        let b = "openai-ft-000000000000001f";
        let head = format!(
            "--{b}\r\ncontent-disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n--{b}\r\n\
             content-disposition: form-data; name=\"fi\\\"le\"; filename=\"a  b.jsonl\"\r\n\
             content-type: application/octet-stream\r\n\r\n"
        );
        let tail = format!("\r\n--{b}--\r\n");
        assert_eq!(
            out.body,
            [
                BodyPart::Bytes(head.clone().into_bytes()),
                BodyPart::GrantedFile {
                    sha256: "ab".into()
                },
                BodyPart::Bytes(tail.clone().into_bytes()),
            ]
        );
        let length = (head.len() + tail.len() + (10 << 20)).to_string();
        assert_eq!(
            &out.headers[2..],
            [
                (
                    "content-type".to_string(),
                    format!("multipart/form-data; boundary={b}")
                ),
                ("content-length".to_string(), length),
            ]
        );
        assert_eq!(out.deadline_secs, Some(120 + 160));

        r.body = Some(Body::Json("{}".into()));
        let out = prepare(&e, &r, None, 0).unwrap();
        assert_eq!(out.body, [BodyPart::Bytes(b"{}".to_vec())]);
        assert_eq!(
            out.headers.last().unwrap(),
            &("content-length".to_string(), "2".to_string())
        );
        r.body = None;
        let out = prepare(&e, &r, None, 0).unwrap();
        assert_eq!(
            (out.method, out.headers.last().unwrap().1.as_str()),
            ("POST", "0")
        );
        assert_eq!(prepare(&e, &get("/x"), None, 0).unwrap().headers.len(), 2);
    }

    #[test]
    fn answers_keep_visible_ascii_header_values_only() {
        let h = response_headers(vec![
            ("X-Request-Id".into(), "req_1".into()),
            ("X-Bin".into(), "a\u{e9}".into()),
            ("Set".into(), "a\tb".into()),
        ]);
        assert_eq!(
            h,
            [
                ("x-request-id".to_string(), "req_1".to_string()),
                ("set".to_string(), "a\tb".to_string())
            ]
        );
    }

    #[test]
    fn every_failure_names_the_base_and_the_fix() {
        let base = "http://127.0.0.1:9/v1";
        let t = |m: &str| HttpError::Transport(m.to_string());
        for (failure, error) in [
            (
                Failure::Timeout(Some(Phase::ReceiveBody)),
                HttpError::Timeout(format!(
                    "no answer from {base} within the timeout (receive body); raise OPENAI_FT_TIMEOUT or check the network"
                )),
            ),
            (
                Failure::Timeout(None),
                HttpError::Timeout(format!(
                    "no answer from {base} within the timeout; raise OPENAI_FT_TIMEOUT or check the network"
                )),
            ),
            (
                Failure::Refused,
                t(&format!(
                    "cannot connect to {base} (connection refused); check OPENAI_BASE_URL and that the server is running"
                )),
            ),
            (
                Failure::Unresolved,
                t(&format!(
                    "cannot resolve the host of {base}; check OPENAI_BASE_URL and DNS"
                )),
            ),
            (
                Failure::Unreachable,
                t(&format!(
                    "cannot connect to {base}; check OPENAI_BASE_URL, the network and any proxy settings"
                )),
            ),
            (
                Failure::Disconnected,
                t(&format!("request to {base} failed: io: Peer disconnected")),
            ),
            (
                Failure::Reset,
                t(&format!(
                    "request to {base} failed: io: Connection reset by peer (os error 104)"
                )),
            ),
            (
                Failure::TooLarge,
                t(&format!(
                    "request to {base} failed: the answer is larger than 64 MiB"
                )),
            ),
            (
                Failure::HeadTooLarge(32),
                HttpError::Denied(format!(
                    "the request to {base} is too large to send (its path, query and headers exceed 32 KiB)"
                )),
            ),
            (
                Failure::Other("tls: bad cert".into()),
                t(&format!("request to {base} failed: tls: bad cert")),
            ),
        ] {
            assert_eq!(exchange_error(base, &failure), error);
        }
        assert_eq!(
            upload_error("/t/a.jsonl", &UploadStop::Short { at: 4, size: 16 }),
            HttpError::FileChanged("/t/a.jsonl changed after it was validated (it ends at byte 4, not at the 16 validated)".into())
        );
        assert_eq!(
            upload_error(
                "a.jsonl",
                &UploadStop::Digest {
                    got: "01".into(),
                    expected: "02".into()
                }
            ),
            HttpError::FileChanged(
                "a.jsonl changed after it was validated (its SHA-256 is 01, not the 02 validated)"
                    .into()
            )
        );
        assert_eq!(
            upload_error("a.jsonl", &UploadStop::TooSlow { secs: 130 }),
            HttpError::Timeout("the upload of a.jsonl took longer than 130 s (the timeout plus 1 s per 64 KiB); raise OPENAI_FT_TIMEOUT for a slow link".into())
        );
    }
}
