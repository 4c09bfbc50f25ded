//! `openai-ft-native`: the same `<noun> <verb>` run as `openai-ft`, with `openai-ft-core` linked
//! natively instead of through the wasm sandbox. It exists only so `scripts/bench` can measure what
//! the sandbox costs; it is not shipped.
//!
//! Everything but the sandbox is the host library's own code: the configuration (`config`), the
//! protocol (`protocol`) and the HTTP client (`http`, same ureq agent settings), which speaks the
//! WIT's generated `http` types.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use openai_ft_core::platform::{self as core_http, FileError, Platform};
use openai_ft_core::{HttpError, Input, commands};
use openai_ft_host::bindings::wit_http as wit;
use openai_ft_host::config::{Config, Flavor};
use openai_ft_host::granted::GrantedFile;
use openai_ft_host::{http, protocol};
use openai_ft_host_logic::input::render_output;
use openai_ft_host_logic::messages::{Notice, grant_refusal, notice};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let line = format!("{e:#}").replace(['\n', '\r'], " ");
            eprintln!("openai-ft-native: {line}");
            ExitCode::from(1)
        }
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [noun, verb] = args.as_slice() else {
        bail!("usage: openai-ft-native <noun> <verb> (input as for openai-ft)");
    };
    let command = format!("{noun} {verb}");
    let input = protocol::read_input(&command).map_err(|e| anyhow!(e))?;
    let file = match &input.grant {
        Some(path) => Some(
            GrantedFile::open(std::path::Path::new(path))
                .map_err(|why| anyhow!(grant_refusal(path, &why)))?,
        ),
        None => None,
    };
    let mut platform = Native {
        file,
        http: http::Client::new(Config::from_env().map_err(|e| anyhow!(e))?.endpoint),
    };
    let input: Input = input.pairs.into_iter().collect();
    match commands::run(&mut platform, &command, &input) {
        Ok(output) => {
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "{}", render_output(output))?;
            stdout.flush()?;
            Ok(())
        }
        Err(e) => bail!("{e}"),
    }
}

/// The core's capabilities, served directly by the host's HTTP client, its granted file (the
/// `file` commands' `path`, as the host grants it) and `std`.
struct Native {
    file: Option<GrantedFile>,
    http: http::Client,
}

impl Platform for Native {
    fn flavor(&self) -> core_http::Flavor {
        match self.http.flavor() {
            Flavor::OpenAi => core_http::Flavor::OpenAi,
            Flavor::Azure => core_http::Flavor::Azure,
            Flavor::AzureClassic => core_http::Flavor::AzureClassic,
        }
    }

    fn api_version(&self) -> Option<String> {
        self.http.api_version()
    }

    fn send(&mut self, request: &core_http::Request) -> Result<core_http::Response, HttpError> {
        let request = wit::Request {
            method: match request.method {
                core_http::Method::Get => wit::Method::Get,
                core_http::Method::Post => wit::Method::Post,
                core_http::Method::Delete => wit::Method::Delete,
                core_http::Method::Put => wit::Method::Put,
            },
            target: match &request.target {
                core_http::Target::Api => wit::Target::Api,
                core_http::Target::AzureDated(v) => wit::Target::AzureDated(v.clone()),
                core_http::Target::AzureManagement(v) => wit::Target::AzureManagement(v.clone()),
            },
            path: request.path.clone(),
            query: request.query.clone(),
            body: request.body.as_ref().map(|b| match b {
                core_http::Body::Json(s) => wit::Body::Json(s.clone()),
                core_http::Body::Multipart(fields) => wit::Body::Multipart(
                    fields
                        .iter()
                        .map(|f| match f {
                            core_http::FormField::Text { name, value } => {
                                wit::FormField::Text((name.clone(), value.clone()))
                            }
                            core_http::FormField::GrantedFile {
                                name,
                                filename,
                                sha256,
                            } => wit::FormField::GrantedFile(wit::GrantedFilePart {
                                name: name.clone(),
                                filename: filename.clone(),
                                sha256: sha256.clone(),
                            }),
                        })
                        .collect(),
                ),
            }),
            credential: match request.credential {
                core_http::Credential::Project => wit::Credential::Project,
                core_http::Credential::Admin => wit::Credential::Admin,
                core_http::Credential::Management => wit::Credential::Management,
            },
            cache: request
                .max_age_seconds
                .map(|max_age_seconds| wit::CacheHint { max_age_seconds }),
        };
        match self.http.send(&request, None) {
            Ok(r) => Ok(core_http::Response {
                status: r.status,
                headers: r.headers,
                body: match r.body {
                    wit::ResponseBody::Bytes(bytes) => bytes,
                    wit::ResponseBody::Text(text) => text.into_bytes(),
                },
            }),
            Err(wit::Error::Denied(m)) => Err(HttpError::Denied(m)),
            Err(wit::Error::Timeout(m)) => Err(HttpError::Timeout(m)),
            Err(wit::Error::Transport(m)) => Err(HttpError::Transport(m)),
            Err(wit::Error::MissingCredential(m)) => Err(HttpError::MissingCredential(m)),
            Err(wit::Error::FileChanged(m)) => Err(HttpError::FileChanged(m)),
        }
    }

    fn now(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }

    fn sleep(&mut self, duration: Duration) {
        std::thread::sleep(duration);
    }

    fn random(&mut self) -> f64 {
        // Jitter only, as in the component.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::from(d.subsec_nanos()))
            .unwrap_or(0);
        (nanos.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn progress(&mut self, line: &str) {
        eprintln!("openai-ft-native: {line}");
    }

    fn file_size(&mut self) -> Result<u64, FileError> {
        self.granted().map(GrantedFile::size)
    }

    fn file_read(&mut self, offset: u64, len: u32) -> Result<Vec<u8>, FileError> {
        self.granted()?.read(offset, len).map_err(FileError::Io)
    }
}

impl Native {
    fn granted(&self) -> Result<&GrantedFile, FileError> {
        self.file
            .as_ref()
            .ok_or_else(|| FileError::Denied(notice(&Notice::NoGrant)))
    }
}
