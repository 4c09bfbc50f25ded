//! Entra ID tokens, got the way the host logic's chain says (`openai_ft_host_logic::signin`) and
//! kept in memory for this process only, one per audience: fetched at first use, fetched again
//! once due (five minutes before expiry, or half-way through a short life), or at once after the
//! server refused one. Each token, and each federated assertion, is added to the redactor before
//! it is used, so no answer, log line or output can show it; the guest never holds one (the
//! host adds the header). The places reached are the chain's: the configured authority's token
//! endpoint, the managed-identity endpoint, GitHub's token request, or the `az` process.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use openai_ft_host_logic::config::{host_of, is_loopback};
use openai_ft_host_logic::signin::{
    self as logic, Assertion, Audience, Chain, Source, failed, none_worked, refresh_due, signed_in,
};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;
use ureq::tls::{RootCerts, TlsConfig};

use crate::config::{Endpoint, Secret};
use crate::redact::Redactor;

/// The longest answer a token endpoint or `az` may give.
const MAX_ANSWER: u64 = 64 * 1024;
/// How long IMDS may take to answer a connection while the chain only probes for it (the Azure
/// SDKs' probe is as short: off Azure, nothing answers there).
const PROBE_CONNECT: Duration = Duration::from_secs(1);
/// How long `az account get-access-token` may run.
const AZ_TIMEOUT: Duration = Duration::from_secs(60);
/// How long an `az` token without `expires_on` is trusted for.
const UNDATED: u64 = 300;

/// Why no token came.
#[derive(Debug)]
pub struct SignInFailure {
    /// One line: the credential, the cause, the fix.
    pub message: String,
    /// The network failed on the way (worth retrying), rather than the credential.
    pub transient: bool,
}

struct Token {
    value: Secret,
    obtained: u64,
    expires: u64,
}

#[derive(Default)]
struct State {
    /// The chain's source that gave the first token, used for every later one.
    chosen: Option<usize>,
    tokens: Vec<(Audience, Token)>,
}

/// The process's Entra sign-in.
pub struct SignIn {
    chain: Chain,
    endpoint: Endpoint,
    redactor: Arc<Redactor>,
    state: Mutex<State>,
}

impl SignIn {
    pub fn new(chain: Chain, endpoint: Endpoint, redactor: Arc<Redactor>) -> Self {
        Self {
            chain,
            endpoint,
            redactor,
            state: Mutex::new(State::default()),
        }
    }

    /// A token for `audience`: the cached one while it is not due, else a new one. `fresh`
    /// drops the cached one first (the server refused it).
    pub fn token(&self, audience: Audience, fresh: bool) -> Result<String, SignInFailure> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let now = now();
        if fresh {
            state.tokens.retain(|(a, _)| *a != audience);
        }
        if let Some((_, t)) = state.tokens.iter().find(|(a, _)| *a == audience)
            && !refresh_due(t.obtained, t.expires, now)
        {
            return Ok(t.value.expose().to_owned());
        }
        let (index, token) = match state.chosen {
            Some(i) => (i, self.fetch(&self.chain.sources[i], audience, false)?),
            None => self.first(audience)?,
        };
        if state.chosen.replace(index).is_none() {
            eprintln!("openai-ft: {}", signed_in(&self.chain.sources[index]));
        }
        let value = token.value.expose().to_owned();
        state.tokens.retain(|(a, _)| *a != audience);
        state.tokens.push((audience, token));
        Ok(value)
    }

    /// The source tokens come from, once one has come.
    pub fn chosen(&self) -> Option<Source> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.chosen.map(|i| self.chain.sources[i].clone())
    }

    /// Tries the chain in order; the first source that gives a token is the process's.
    fn first(&self, audience: Audience) -> Result<(usize, Token), SignInFailure> {
        let probing = self.chain.sources.len() > 1;
        let mut failures = Vec::new();
        let mut transient = true;
        for (i, source) in self.chain.sources.iter().enumerate() {
            match self.fetch(source, audience, probing) {
                Ok(token) => return Ok((i, token)),
                Err(f) if !probing => return Err(f),
                Err(f) => {
                    transient &= f.transient;
                    failures.push(f.message);
                }
            }
        }
        Err(SignInFailure {
            message: none_worked(&failures),
            transient,
        })
    }

    fn fetch(
        &self,
        source: &Source,
        audience: Audience,
        probing: bool,
    ) -> Result<Token, SignInFailure> {
        let fail = |cause: &str, transient| SignInFailure {
            message: self.redactor.text(&failed(source, cause)).into_owned(),
            transient,
        };
        let answer = match source {
            Source::ClientSecret {
                token_url,
                client_id,
            } => {
                let secret = self
                    .endpoint
                    .secret("AZURE_CLIENT_SECRET")
                    .unwrap_or_default();
                self.post_form(
                    token_url,
                    &[
                        ("grant_type", "client_credentials"),
                        ("client_id", client_id),
                        ("scope", &audience.scope()),
                        ("client_secret", secret),
                    ],
                )
            }
            Source::Federated {
                token_url,
                client_id,
                assertion,
            } => {
                let assertion = self.assertion(assertion).map_err(|(c, t)| fail(&c, t))?;
                self.redactor.add(&assertion);
                self.post_form(
                    token_url,
                    &[
                        ("grant_type", "client_credentials"),
                        ("client_id", client_id),
                        ("scope", &audience.scope()),
                        (
                            "client_assertion_type",
                            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                        ),
                        ("client_assertion", &assertion),
                    ],
                )
            }
            Source::ManagedIdentity {
                url,
                header,
                client_id,
            } => {
                let mut url = format!("{url}&resource={}", encode(audience.resource()));
                if let Some(id) = client_id {
                    url.push_str(&format!("&client_id={}", encode(id)));
                }
                let value = match header.0.as_str() {
                    "metadata" => header.1.as_str(),
                    _ => self.endpoint.secret(&header.1).unwrap_or_default(),
                };
                let connect = probing.then_some(PROBE_CONNECT);
                self.get(&url, (&header.0, value), connect)
            }
            Source::AzureCli => az(audience),
        }
        .map_err(|(c, t)| fail(&c, t))?;
        let token =
            read_token(&answer).ok_or_else(|| fail("the answer holds no access token", false))?;
        self.redactor.add(token.value.expose());
        Ok(token)
    }

    /// A federated assertion: the file's content, read fresh (AKS rotates it), or GitHub's.
    fn assertion(&self, assertion: &Assertion) -> Result<String, (String, bool)> {
        match assertion {
            Assertion::File(path) => std::fs::read_to_string(path)
                .map(|t| t.trim().to_owned())
                .map_err(|e| {
                    (
                        format!("cannot read AZURE_FEDERATED_TOKEN_FILE {path:?}: {e}"),
                        false,
                    )
                }),
            Assertion::Github { url } => {
                let url = logic::github_request(url);
                let bearer = format!(
                    "Bearer {}",
                    self.endpoint
                        .secret("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
                        .unwrap_or_default()
                );
                let answer = self.get(&url, ("authorization", &bearer), None)?;
                answer["value"]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| ("GitHub's token request answered no value".to_owned(), false))
            }
        }
    }

    fn post_form(&self, url: &str, fields: &[(&str, &str)]) -> Result<Value, (String, bool)> {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        let request = ureq::http::Request::post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(body.join("&"))
            .map_err(|e| (e.to_string(), false))?;
        self.run(url, request, None)
    }

    fn get(
        &self,
        url: &str,
        header: (&str, &str),
        connect: Option<Duration>,
    ) -> Result<Value, (String, bool)> {
        let request = ureq::http::Request::get(url)
            .header(header.0, header.1)
            .header("accept", "application/json")
            .body(())
            .map_err(|e| (e.to_string(), false))?;
        self.run(url, request, connect)
    }

    fn run<B: ureq::AsSendBody>(
        &self,
        url: &str,
        request: ureq::http::Request<B>,
        connect: Option<Duration>,
    ) -> Result<Value, (String, bool)> {
        let shown = openai_ft_host_logic::config::shown(url);
        let mut response = self
            .agent(url, connect)
            .run(request)
            .map_err(|e| (format!("{shown} could not be reached ({e})"), true))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_string()
            .map_err(|e| (format!("{shown} answered unreadably ({e})"), true))?;
        let text = self.redactor.text(&text).into_owned();
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status == 200 {
            return Ok(json);
        }
        // Entra's `error_description` (its first line: the rest is trace ids), IMDS' `error`,
        // or the status alone.
        let why = json["error_description"]
            .as_str()
            .or_else(|| json["error"]["message"].as_str())
            .or_else(|| json["error"].as_str())
            .map(|d| d.lines().next().unwrap_or_default().trim().to_owned())
            .unwrap_or_default();
        Err((
            format!("{shown} answered {status} {why}")
                .trim_end()
                .to_owned(),
            status >= 500,
        ))
    }

    /// An agent for one sign-in request: the API's timeouts and TLS, the configured proxy
    /// except to loopback and IMDS, no redirects.
    fn agent(&self, url: &str, connect: Option<Duration>) -> ureq::Agent {
        let authority = url.split_once("://").map_or(url, |(_, r)| r);
        let authority = authority.split(['/', '?']).next().unwrap_or_default();
        let local = is_loopback(authority) || host_of(authority) == "169.254.169.254";
        let proxy = self
            .endpoint
            .proxy
            .as_ref()
            .filter(|_| !local)
            .and_then(|p| ureq::Proxy::new(p.expose()).ok());
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(proxy)
            .timeout_connect(Some(connect.unwrap_or(self.endpoint.connect_timeout())))
            .timeout_global(Some(self.endpoint.timeout()))
            .tls_config(
                TlsConfig::builder()
                    .root_certs(RootCerts::PlatformVerifier)
                    .build(),
            )
            .build()
            .into()
    }
}

/// `az account get-access-token` for `audience`, bounded in time.
fn az(audience: Audience) -> Result<Value, (String, bool)> {
    let mut child = Command::new("az")
        .args([
            "account",
            "get-access-token",
            "--output",
            "json",
            "--resource",
        ])
        .arg(audience.resource())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ("`az` was not found on PATH".to_owned(), false),
            _ => (format!("`az` could not be started ({e})"), false),
        })?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < AZ_TIMEOUT => {
                std::thread::sleep(Duration::from_millis(20));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err((
                    format!(
                        "`az account get-access-token` took over {}s",
                        AZ_TIMEOUT.as_secs()
                    ),
                    true,
                ));
            }
        }
    };
    let mut out = String::new();
    let mut err = String::new();
    if let Some(o) = child.stdout.take() {
        let _ = o.take(MAX_ANSWER).read_to_string(&mut out);
    }
    if let Some(e) = child.stderr.take() {
        let _ = e.take(MAX_ANSWER).read_to_string(&mut err);
    }
    if !status.success() {
        let why = err
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("no message");
        return Err((
            format!("`az account get-access-token` failed: {why}"),
            false,
        ));
    }
    serde_json::from_str(&out).map_err(|_| {
        (
            "`az account get-access-token` printed no JSON".to_owned(),
            false,
        )
    })
}

/// The token and its expiry from any of the answers: Entra's (`access_token`, `expires_in`),
/// the managed identities' (`expires_on` and `expires_in` as strings), the CLI's
/// (`accessToken`, `expires_on`).
fn read_token(answer: &Value) -> Option<Token> {
    let value = answer["access_token"]
        .as_str()
        .or_else(|| answer["accessToken"].as_str())
        .filter(|t| !t.is_empty())?;
    let number = |v: &Value| v.as_u64().or_else(|| v.as_str()?.trim().parse().ok());
    let now = now();
    let expires = number(&answer["expires_on"])
        .or_else(|| number(&answer["expires_in"]).map(|s| now + s))
        .unwrap_or(now + UNDATED);
    Some(Token {
        value: Secret::new(value.to_owned()),
        obtained: now,
        expires,
    })
}

fn encode(v: &str) -> String {
    utf8_percent_encode(v, NON_ALPHANUMERIC).to_string()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// What a 401 after a refreshed token says (stderr): the credential used and the fix.
pub fn refused(source: &Source, audience: Audience) -> String {
    format!("openai-ft: {}", logic::refused(source, audience))
}
