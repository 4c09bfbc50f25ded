//! Every conversion between the WIT's generated types and the host logic's own.

use alloc::vec::Vec;

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;

use openai_ft_host_logic::signin::{self, Assertion, Audience, Source};
use openai_ft_host_logic::{cli, config, inert, input, messages, request, wasm};

use crate::wit;

impl From<input::Parsed> for wit::Parsed {
    fn from(p: input::Parsed) -> Self {
        Self {
            pairs: p.pairs,
            summary: p.summary,
            grant: p.grant,
        }
    }
}

impl From<input::Finished> for wit::Finished {
    fn from(f: input::Finished) -> Self {
        Self {
            pairs: f.pairs,
            line: f.line,
        }
    }
}

impl From<config::Flavor> for wit::ApiFlavor {
    fn from(f: config::Flavor) -> Self {
        match f {
            config::Flavor::OpenAi => Self::Openai,
            config::Flavor::Azure => Self::Azure,
            config::Flavor::AzureClassic => Self::AzureClassic,
        }
    }
}

impl From<wit::ApiFlavor> for config::Flavor {
    fn from(f: wit::ApiFlavor) -> Self {
        match f {
            wit::ApiFlavor::Openai => Self::OpenAi,
            wit::ApiFlavor::Azure => Self::Azure,
            wit::ApiFlavor::AzureClassic => Self::AzureClassic,
        }
    }
}

impl From<config::SecretHeader> for wit::SecretHeader {
    fn from(h: config::SecretHeader) -> Self {
        Self {
            name: h.name,
            prefix: h.prefix,
            variable: h.variable,
        }
    }
}

impl From<wit::SecretHeader> for config::SecretHeader {
    fn from(h: wit::SecretHeader) -> Self {
        Self {
            name: h.name,
            prefix: h.prefix,
            variable: h.variable,
        }
    }
}

impl From<config::Credential> for wit::Credential {
    fn from(c: config::Credential) -> Self {
        match c {
            config::Credential::Header(h) => Self::Header(h.into()),
            config::Credential::Missing(m) => Self::Missing(m),
        }
    }
}

impl From<wit::Credential> for config::Credential {
    fn from(c: wit::Credential) -> Self {
        match c {
            wit::Credential::Header(h) => Self::Header(h.into()),
            wit::Credential::Missing(m) => Self::Missing(m),
        }
    }
}

impl From<config::Endpoint> for wit::Endpoint {
    fn from(e: config::Endpoint) -> Self {
        Self {
            flavor: e.flavor.into(),
            base: e.base,
            query: e.query,
            headers: e.headers,
            project: e.project.into(),
            admin: e.admin.into(),
            management_base: e.management_base,
            management: e.management.into(),
            connect_timeout_secs: e.connect_timeout_secs,
            timeout_secs: e.timeout_secs,
            signin: e
                .signin
                .map(|c| c.sources.into_iter().map(Into::into).collect()),
        }
    }
}

impl From<wit::Endpoint> for config::Endpoint {
    fn from(e: wit::Endpoint) -> Self {
        Self {
            flavor: e.flavor.into(),
            base: e.base,
            query: e.query,
            headers: e.headers,
            project: e.project.into(),
            admin: e.admin.into(),
            management_base: e.management_base,
            management: e.management.into(),
            connect_timeout_secs: e.connect_timeout_secs,
            timeout_secs: e.timeout_secs,
            signin: e.signin.map(|s| signin::Chain {
                sources: s.into_iter().map(Into::into).collect(),
            }),
        }
    }
}

impl From<config::Configured> for wit::Configured {
    fn from(c: config::Configured) -> Self {
        Self {
            secrets: c
                .secrets
                .into_iter()
                .map(|s| wit::SecretSpan {
                    variable: s.variable,
                    skip: s.skip,
                    keep: s.keep,
                })
                .collect(),
            settings: c.settings.map(|s| wit::Settings {
                endpoint: s.endpoint.into(),
                limits: wit::Limits {
                    memory_mib: s.limits.memory_mib,
                    cpu_secs: s.limits.cpu_secs,
                },
            }),
        }
    }
}

impl From<wit::Request> for request::Request {
    fn from(r: wit::Request) -> Self {
        Self {
            method: match r.method {
                wit::Method::Get => request::Method::Get,
                wit::Method::Post => request::Method::Post,
                wit::Method::Delete => request::Method::Delete,
                wit::Method::Put => request::Method::Put,
            },
            target: match r.target {
                wit::Target::Api => request::Target::Api,
                wit::Target::AzureDated(version) => request::Target::AzureDated(version),
                wit::Target::AzureManagement(version) => request::Target::AzureManagement(version),
            },
            path: r.path,
            query: r.query,
            body: r.body.map(|b| match b {
                wit::Body::Json(json) => request::Body::Json(json),
                wit::Body::Multipart(fields) => request::Body::Multipart(
                    fields
                        .into_iter()
                        .map(|f| match f {
                            wit::FormField::Text((name, value)) => {
                                request::FormField::Text(name, value)
                            }
                            wit::FormField::GrantedFile(p) => request::FormField::GrantedFile {
                                name: p.name,
                                filename: p.filename,
                                sha256: p.sha256,
                            },
                        })
                        .collect(),
                ),
            }),
            credential: match r.credential {
                wit::CredentialKind::Project => request::CredentialKind::Project,
                wit::CredentialKind::Admin => request::CredentialKind::Admin,
                wit::CredentialKind::Management => request::CredentialKind::Management,
            },
        }
    }
}

impl From<request::Outgoing> for wit::Outgoing {
    fn from(o: request::Outgoing) -> Self {
        Self {
            method: o.method.into(),
            url: o.url,
            origin: o.origin,
            credential: o.credential.into(),
            headers: o.headers,
            body: o
                .body
                .into_iter()
                .map(|p| match p {
                    request::BodyPart::Bytes(b) => wit::BodyPart::Bytes(b),
                    request::BodyPart::GrantedFile { sha256 } => wit::BodyPart::GrantedFile(sha256),
                })
                .collect(),
            deadline_secs: o.deadline_secs,
        }
    }
}

impl From<request::HttpError> for wit::HttpError {
    fn from(e: request::HttpError) -> Self {
        match e {
            request::HttpError::Denied(m) => Self::Denied(m),
            request::HttpError::Timeout(m) => Self::Timeout(m),
            request::HttpError::Transport(m) => Self::Transport(m),
            request::HttpError::MissingCredential(m) => Self::MissingCredential(m),
            request::HttpError::FileChanged(m) => Self::FileChanged(m),
        }
    }
}

impl From<wit::Failure> for request::Failure {
    fn from(f: wit::Failure) -> Self {
        match f {
            wit::Failure::Timeout(phase) => Self::Timeout(phase.map(|p| match p {
                wit::Phase::Connect => request::Phase::Connect,
                wit::Phase::SendRequest => request::Phase::SendRequest,
                wit::Phase::ReceiveResponse => request::Phase::ReceiveResponse,
                wit::Phase::ReceiveBody => request::Phase::ReceiveBody,
            })),
            wit::Failure::Refused => Self::Refused,
            wit::Failure::Unresolved => Self::Unresolved,
            wit::Failure::Unreachable => Self::Unreachable,
            wit::Failure::Disconnected => Self::Disconnected,
            wit::Failure::Reset => Self::Reset,
            wit::Failure::TooLarge => Self::TooLarge,
            wit::Failure::HeadTooLarge(kib) => Self::HeadTooLarge(kib),
            wit::Failure::Unsendable(words) => Self::Unsendable(words),
            wit::Failure::Other(words) => Self::Other(words),
        }
    }
}

impl From<wit::UploadStop> for request::UploadStop {
    fn from(s: wit::UploadStop) -> Self {
        match s {
            wit::UploadStop::Digest((got, expected)) => Self::Digest { got, expected },
            wit::UploadStop::Short((at, size)) => Self::Short { at, size },
            wit::UploadStop::TooSlow(secs) => Self::TooSlow { secs },
        }
    }
}

impl From<wit::OsError> for messages::OsError {
    fn from(e: wit::OsError) -> Self {
        Self {
            code: e.code,
            name: e.name,
            words: e.words,
        }
    }
}

impl From<wit::OpenFailure> for messages::OpenFailure {
    fn from(f: wit::OpenFailure) -> Self {
        match f {
            wit::OpenFailure::NotRegular => Self::NotRegular,
            wit::OpenFailure::Os(e) => Self::Os(e.into()),
        }
    }
}

impl From<wasm::Splice> for wit::Splice {
    fn from(s: wasm::Splice) -> Self {
        Self {
            start: s.start,
            end: s.end,
            bytes: s.bytes,
        }
    }
}

impl From<messages::StderrLine> for wit::StderrLine {
    fn from(l: messages::StderrLine) -> Self {
        match l {
            messages::StderrLine::Show => Self::Show,
            messages::StderrLine::AllocFailure => Self::AllocFailure,
            messages::StderrLine::Withhold => Self::Withhold,
        }
    }
}

impl From<wit::Sink> for inert::Sink {
    fn from(s: wit::Sink) -> Self {
        match s {
            wit::Sink::Terminal => Self::Terminal,
            wit::Sink::ActionsLog => Self::ActionsLog,
        }
    }
}

impl From<wit::Program> for cli::Program {
    fn from(p: wit::Program) -> Self {
        Self {
            name: p.name,
            runtime: p.runtime,
            native: p.native,
        }
    }
}

impl From<cli::Step> for wit::CliStep {
    fn from(s: cli::Step) -> Self {
        match s {
            cli::Step::Exit {
                stdout,
                stderr,
                status,
            } => Self::Exit(wit::CliExit {
                stdout,
                stderr,
                status,
            }),
            cli::Step::Describe => Self::Describe,
            cli::Step::Component { host_logic } => Self::Component(host_logic),
            cli::Step::Command(noun, verb) => Self::Command((noun, verb)),
        }
    }
}

impl From<wit::Notice> for messages::Notice {
    fn from(n: wit::Notice) -> Self {
        match n {
            wit::Notice::NoInput => Self::NoInput,
            wit::Notice::ReadingStdin(words) => Self::ReadingStdin(words),
            wit::Notice::NoGrant => Self::NoGrant,
            wit::Notice::MemoryLimit(mib) => Self::MemoryLimit(mib),
            wit::Notice::CpuLimit(secs) => Self::CpuLimit(secs),
            wit::Notice::Trap(words) => Self::Trap(words),
            wit::Notice::GuestExited(status) => Self::GuestExited(status),
            wit::Notice::WasmToTerminal => Self::WasmToTerminal,
            wit::Notice::InvalidCommand(command) => Self::InvalidCommand(command),
            wit::Notice::NoGithubOutput => Self::NoGithubOutput,
            wit::Notice::ActionDone((command, outputs)) => Self::ActionDone { command, outputs },
        }
    }
}

/// The commands `describe` gave, as the logic lists them.
pub fn commands(commands: Vec<wit::CommandInfo>) -> Vec<cli::CommandInfo> {
    commands
        .into_iter()
        .map(|c| cli::CommandInfo {
            name: c.name,
            summary: c.summary,
            inputs: c.inputs,
        })
        .collect()
}

impl From<wit::Audience> for Audience {
    fn from(a: wit::Audience) -> Self {
        match a {
            wit::Audience::CognitiveServices => Self::CognitiveServices,
            wit::Audience::Management => Self::Management,
        }
    }
}

/// The suffix of a token URL after the authority and tenant ([`signin::choose`] builds it).
const TOKEN_PATH: &str = "/oauth2/v2.0/token";

fn app(token_url: &str, client_id: String) -> wit::SigninApp {
    let tenanted = token_url.strip_suffix(TOKEN_PATH).unwrap_or(token_url);
    let (authority, tenant) = tenanted.rsplit_once('/').unwrap_or((tenanted, ""));
    wit::SigninApp {
        authority: authority.to_owned(),
        tenant: tenant.to_owned(),
        client_id,
    }
}

fn token_url(app: &wit::SigninApp) -> String {
    format!("{}/{}{TOKEN_PATH}", app.authority, app.tenant)
}

impl From<Source> for wit::SigninSource {
    fn from(s: Source) -> Self {
        match s {
            Source::ClientSecret {
                token_url,
                client_id,
            } => Self::ClientSecret(app(&token_url, client_id)),
            Source::Federated {
                token_url,
                client_id,
                assertion: Assertion::File(path),
            } => Self::WorkloadIdentity((app(&token_url, client_id), path)),
            Source::Federated {
                token_url,
                client_id,
                assertion: Assertion::Github { url },
            } => Self::GithubOidc((app(&token_url, client_id), signin::github_request(&url))),
            Source::ManagedIdentity { url, client_id, .. } => {
                Self::ManagedIdentity((url, client_id))
            }
            Source::AzureCli => Self::AzureCli,
        }
    }
}

impl From<wit::SigninSource> for Source {
    fn from(s: wit::SigninSource) -> Self {
        match s {
            wit::SigninSource::ClientSecret(a) => Self::ClientSecret {
                token_url: token_url(&a),
                client_id: a.client_id,
            },
            wit::SigninSource::WorkloadIdentity((a, path)) => Self::Federated {
                token_url: token_url(&a),
                client_id: a.client_id,
                assertion: Assertion::File(path),
            },
            wit::SigninSource::GithubOidc((a, url)) => Self::Federated {
                token_url: token_url(&a),
                client_id: a.client_id,
                assertion: Assertion::Github {
                    url: url
                        .strip_suffix(&signin::github_request(""))
                        .or_else(|| url.strip_suffix(&signin::github_request("?")[1..]))
                        .unwrap_or(&url)
                        .to_owned(),
                },
            },
            wit::SigninSource::ManagedIdentity((url, client_id)) => Self::ManagedIdentity {
                header: signin::identity_header(&url),
                url,
                client_id,
            },
            wit::SigninSource::AzureCli => Self::AzureCli,
        }
    }
}
