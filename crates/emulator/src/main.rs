//! The `openai-ft-emulator` binary: parses the CLI flags into a [`Config`], starts the emulator,
//! prints `listening on http://HOST:PORT` as the first stdout line (and writes the URL to
//! `--ready-file`), then serves until killed. Every flag is one row of [`FLAGS`], which both the
//! parser and the usage text read, so the two cannot drift apart.

use lexopt::Arg;
use openai_ft_emulator::{Config, Flavor, start};
use std::ffi::OsString;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What the command line sets: the emulator's [`Config`] plus what only the binary does.
#[derive(Default)]
struct Options {
    config: Config,
    ready_file: Option<PathBuf>,
}

/// What a flag takes, and what it does with it. Values are named in the usage text.
enum Takes {
    /// A value stored as it is, in the field the function picks.
    Text(&'static str, fn(&mut Options) -> &mut String),
    /// A value added to the list the function picks (the flag is repeatable).
    List(&'static str, fn(&mut Options) -> &mut Vec<String>),
    /// A value checked and stored by the function, which says what is wrong with a bad one.
    Value(&'static str, fn(&mut Options, String) -> Result<(), String>),
    /// Nothing: the flag alone sets something.
    Switch(fn(&mut Options)),
    /// Nothing: prints the usage text and exits.
    Help,
}

struct Flag {
    long: &'static str,
    short: Option<char>,
    takes: Takes,
    /// The usage text; `\n` continues it on the next line of the help column.
    help: &'static str,
}

const fn flag(long: &'static str, takes: Takes, help: &'static str) -> Flag {
    Flag {
        long,
        short: None,
        takes,
        help,
    }
}

const FLAGS: &[Flag] = &[
    flag(
        "flavor",
        Takes::Value("NAME", |o, v| {
            o.config.flavor = Flavor::parse(&v).ok_or_else(|| {
                format!("invalid --flavor \"{v}\": must be openai, azure or azure-classic")
            })?;
            Ok(())
        }),
        "openai (default, under /v1), azure (Azure OpenAI v1, under\n\
         /openai/v1) or azure-classic (dated api-version, under /openai)",
    ),
    flag(
        "listen",
        Takes::Text("ADDR", |o| &mut o.config.listen),
        "address to listen on (default 127.0.0.1:0, a free port)",
    ),
    flag(
        "api-key",
        Takes::List("KEY", |o| &mut o.config.api_keys),
        "accept KEY as a project API key / Azure resource key (repeatable)",
    ),
    flag(
        "ad-token",
        Takes::List("TOKEN", |o| &mut o.config.ad_tokens),
        "Azure: accept TOKEN as a bearer Entra token (repeatable)",
    ),
    flag(
        "entra-tenant",
        Takes::Text("TENANT", |o| &mut o.config.entra_tenant),
        "Azure: the Entra tenant whose token endpoint\n\
         /TENANT/oauth2/v2.0/token issues tokens (default\n\
         00000000-0000-4000-8000-0000000e1a7e)",
    ),
    flag(
        "entra-client",
        Takes::List("ID=SECRET", |o| &mut o.config.entra_clients),
        "Azure: an application signing in with a client secret\n\
         (repeatable)",
    ),
    flag(
        "entra-federated",
        Takes::List("ID=ISSUER,SUBJECT", |o| &mut o.config.entra_federated),
        "Azure: a federated credential: an assertion with this\n\
         issuer and subject signs application ID in (repeatable)",
    ),
    flag(
        "managed-identity",
        Takes::Value("CLIENT_ID", |o, v| {
            o.config.managed_identity = Some(v);
            Ok(())
        }),
        "Azure: serve tokens for this managed identity on IMDS'\n\
         /metadata/identity/oauth2/token and App Service's /msi/token",
    ),
    flag(
        "identity-header",
        Takes::Value("SECRET", |o, v| {
            o.config.identity_header = Some(v);
            Ok(())
        }),
        "Azure: the X-IDENTITY-HEADER /msi/token requires",
    ),
    flag(
        "github-request-token",
        Takes::Value("SECRET", |o, v| {
            o.config.github_request_token = Some(v);
            Ok(())
        }),
        "serve GitHub Actions' OIDC token request on /_github/idtoken\n\
         to a bearer of SECRET (its ACTIONS_ID_TOKEN_REQUEST_TOKEN)",
    ),
    flag(
        "token-lifetime-secs",
        Takes::Value("N", |o, v| {
            o.config.token_lifetime_secs = v.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                format!("invalid --token-lifetime-secs \"{v}\": must be an integer >= 1")
            })?;
            Ok(())
        }),
        "Azure: seconds an issued token lives (default 3600)",
    ),
    flag(
        "disable-local-auth",
        Takes::Switch(|o| o.config.disable_local_auth = true),
        "Azure: refuse keys, as a resource with disableLocalAuth does",
    ),
    flag(
        "admin-key",
        Takes::List("KEY", |o| &mut o.config.admin_keys),
        "accept KEY as an Owner admin key (repeatable)",
    ),
    flag(
        "admin-key-no-owner",
        Takes::List("KEY", |o| &mut o.config.admin_keys_no_owner),
        "admin key whose user is not an Owner: permission calls get 403",
    ),
    flag(
        "admin-key-read-only",
        Takes::List("KEY", |o| &mut o.config.admin_keys_read_only),
        "admin key with only api.fine_tuning.checkpoints.read",
    ),
    flag(
        "step-ms",
        Takes::Value("N", |o, v| {
            o.config.step_ms = v
                .parse()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| format!("invalid --step-ms \"{v}\": must be an integer >= 1"))?;
            Ok(())
        }),
        "milliseconds per job step (default 1000)",
    ),
    flag(
        "latency-ms",
        Takes::Value("N", |o, v| {
            o.config.latency_ms = v.parse().ok().filter(|n| *n <= 60_000).ok_or_else(|| {
                format!("invalid --latency-ms \"{v}\": must be an integer 0-60000")
            })?;
            Ok(())
        }),
        "milliseconds every API answer waits, as over a long\n\
         network path (default 0)",
    ),
    flag(
        "org",
        Takes::Text("ORG", |o| &mut o.config.org),
        "organization id (default org-emulator)",
    ),
    flag(
        "state",
        Takes::Value("FILE", |o, v| {
            o.config.state_file = Some(v.into());
            Ok(())
        }),
        "persist state to FILE (JSON) and reload it on start",
    ),
    flag(
        "model-shutdown",
        Takes::Value("MODEL=DATE", |o, v| {
            let (model, date) = per_model("model-shutdown", &v, "YYYY-MM-DD")?;
            o.config.model_shutdown.insert(model, date);
            Ok(())
        }),
        "OpenAI: set shutdown_date (YYYY-MM-DD) on MODEL (repeatable)",
    ),
    flag(
        "fine-tune-retirement",
        Takes::Value("MODEL=DATE", |o, v| {
            let (model, date) = per_model("fine-tune-retirement", &v, "YYYY-MM-DD")?;
            o.config.fine_tune_retirement.insert(model, date);
            Ok(())
        }),
        "Azure: MODEL's deprecation.fine_tune, the day it stops\n\
         taking fine-tuning jobs (repeatable)",
    ),
    flag(
        "inference-retirement",
        Takes::Value("MODEL=DATE", |o, v| {
            let (model, date) = per_model("inference-retirement", &v, "YYYY-MM-DD")?;
            o.config.inference_retirement.insert(model, date);
            Ok(())
        }),
        "Azure: MODEL's deprecation.inference, the day it stops\n\
         serving (repeatable; default 2099-12-31)",
    ),
    flag(
        "lifecycle-status",
        Takes::Value("MODEL=STATUS", |o, v| {
            let (model, status) = per_model("lifecycle-status", &v, "STATUS")?;
            o.config.lifecycle_status.insert(model, status);
            Ok(())
        }),
        "Azure: MODEL's lifecycle_status: preview, generally-available\n\
         (default), deprecating or deprecated (repeatable)",
    ),
    flag(
        "training-types",
        Takes::Value("MODEL=LIST", |o, v| {
            let (model, list) = per_model("training-types", &v, "standard,globalstandard,...")?;
            let tiers = list.split(',').map(|t| t.trim().to_string()).collect();
            o.config.training_types.insert(model, tiers);
            Ok(())
        }),
        "Azure: the training types MODEL trains with, some of standard,\n\
         globalstandard, developer, and none (may be left out); others\n\
         are refused (\"Standard TrainingType is not supported\")",
    ),
    flag(
        "v1-metadata",
        Takes::Value("keep|drop", |o, v| {
            o.config.switches.v1_metadata = choice("v1-metadata", &v)?;
            Ok(())
        }),
        "v1: do jobs keep the metadata they were created with? (keep)",
    ),
    flag(
        "v1-user-provided-suffix",
        Takes::Value("keep|drop", |o, v| {
            o.config.switches.v1_user_provided_suffix = choice("v1-user-provided-suffix", &v)?;
            Ok(())
        }),
        "v1: do jobs echo user_provided_suffix? (keep)",
    ),
    flag(
        "v1-statuses",
        Takes::Value("spec|azure", |o, v| {
            o.config.switches.v1_statuses = choice("v1-statuses", &v)?;
            Ok(())
        }),
        "v1: job statuses in the schema's words, or Azure's pending,\n\
         pausing, resuming (spec)",
    ),
    flag(
        "v1-model-dates",
        Takes::Switch(|o| o.config.switches.v1_model_dates = true),
        "v1: models also carry lifecycle_status and deprecation",
    ),
    flag(
        "v1-creates-201",
        Takes::Switch(|o| o.config.switches.v1_creates_201 = true),
        "v1: job creates and uploads answer 201 (the spec: 200)",
    ),
    flag(
        "v1-expires-after",
        Takes::Value("required|optional", |o, v| {
            o.config.switches.v1_expires_after = choice("v1-expires-after", &v)?;
            Ok(())
        }),
        "v1: is an upload's expires_after required? (required)",
    ),
    flag(
        "management-token",
        Takes::List("TOKEN", |o| &mut o.config.management_tokens),
        "ARM: accept TOKEN as a bearer Entra token (repeatable)",
    ),
    flag(
        "arm-failing-model",
        Takes::List("MODEL", |o| &mut o.config.arm_failing_models),
        "ARM: a deployment of MODEL ends Failed (repeatable)",
    ),
    flag(
        "arm-steps",
        Takes::Value("N", arm_steps),
        "ARM: reads a create or deletion takes (default 2)",
    ),
    flag(
        "arm-page-size",
        Takes::Value("N", |o, v| {
            o.config.arm_page_size = Some(
                v.parse()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| {
                        format!("invalid --arm-page-size \"{v}\": must be an integer 1-1000")
                    })?,
            );
            Ok(())
        }),
        "ARM: deployments per page of a list, the rest behind nextLink\n(default: all on one page)",
    ),
    flag(
        "ready-file",
        Takes::Value("PATH", |o, v| {
            o.ready_file = Some(v.into());
            Ok(())
        }),
        "once listening, write the URL (http://HOST:PORT) to PATH\n\
         (atomically: whoever waits for PATH reads the whole URL)",
    ),
    flag(
        "hostile-text",
        Takes::Switch(|o| o.config.hostile_text = true),
        "end every failed job's error message and every event's message\n\
         with escapes, CR/LF and workflow commands (hostile server text)",
    ),
    flag(
        "log",
        Takes::Switch(|o| o.config.log_requests = true),
        "one line per request on stderr (method, path, status)",
    ),
    Flag {
        short: Some('h'),
        ..flag("help", Takes::Help, "print this help")
    },
];

fn arm_steps(o: &mut Options, v: String) -> Result<(), String> {
    o.config.arm_steps = v
        .parse()
        .ok()
        .filter(|n| *n <= 1000)
        .ok_or_else(|| format!("invalid --arm-steps \"{v}\": must be an integer 0-1000"))?;
    Ok(())
}

/// `MODEL=VALUE`, split; `shape` names the value in the refusal.
fn per_model(flag: &str, v: &str, shape: &str) -> Result<(String, String), String> {
    match v.split_once('=') {
        Some((model, value)) if !model.is_empty() => Ok((model.to_string(), value.to_string())),
        _ => Err(format!("invalid --{flag} \"{v}\": expected MODEL={shape}")),
    }
}

/// One of a switch's values, spelled as its serde name.
fn choice<T: serde::de::DeserializeOwned>(flag: &str, v: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(v.to_string()))
        .map_err(|_| format!("invalid --{flag} \"{v}\": see --help for its values"))
}

/// The usage text, from [`FLAGS`].
fn usage() -> String {
    let mut text = String::from(
        "openai-ft-emulator: a local, stateful emulator of the OpenAI fine-tuning API\n\n\
         USAGE:\n    openai-ft-emulator [FLAGS]\n\nFLAGS:\n",
    );
    for f in FLAGS {
        let mut label = match f.short {
            Some(c) => format!("-{c}, --{}", f.long),
            None => format!("--{}", f.long),
        };
        if let Takes::Text(name, _) | Takes::List(name, _) | Takes::Value(name, _) = f.takes {
            label = format!("{label} {name}");
        }
        for (i, line) in f.help.lines().enumerate() {
            let label = if i == 0 { label.as_str() } else { "" };
            text.push_str(&format!("    {label:<30}{}\n", line.trim_start()));
        }
    }
    text.push_str(
        "\nThe first stdout line is `listening on http://HOST:PORT`. Control endpoints live under\n\
         /_emulator (faults, requests, requests/log, journal, reset, jobs/ID/fail); see the crate README.\n",
    );
    text
}

/// Why the binary stops: a bad command line (exit 2) or a failure to run (exit 1).
enum Failure {
    Usage(String),
    Run(String),
}

impl Failure {
    fn exit_code(&self) -> ExitCode {
        match self {
            Failure::Usage(_) => ExitCode::from(2),
            Failure::Run(_) => ExitCode::FAILURE,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Usage(m) | Failure::Run(m) => f.write_str(m),
        }
    }
}

enum Parsed {
    Run(Box<Options>),
    Help,
}

fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Parsed, Failure> {
    let mut options = Options::default();
    let mut parser = lexopt::Parser::from_args(args);
    let usage = |e: lexopt::Error| Failure::Usage(e.to_string());
    while let Some(arg) = parser.next().map_err(usage)? {
        // How the flag was written, and how a value attached to it reads (`--x=v`, `-xv`).
        let (shown, sep, flag) = match arg {
            Arg::Long(name) => (
                format!("--{name}"),
                "=",
                FLAGS.iter().find(|f| f.long == name),
            ),
            Arg::Short(c) => (
                format!("-{c}"),
                "",
                FLAGS.iter().find(|f| f.short == Some(c)),
            ),
            Arg::Value(v) => return Err(unknown(&v.to_string_lossy())),
        };
        // A flag that takes no value refuses one attached to it, as an unknown flag would.
        let attached = |parser: &mut lexopt::Parser| match parser.optional_value() {
            Some(v) => Err(unknown(&format!("{shown}{sep}{}", v.to_string_lossy()))),
            None => Ok(()),
        };
        let Some(flag) = flag else {
            attached(&mut parser)?;
            return Err(unknown(&shown));
        };
        match flag.takes {
            Takes::Help => {
                attached(&mut parser)?;
                return Ok(Parsed::Help);
            }
            Takes::Switch(set) => {
                attached(&mut parser)?;
                set(&mut options);
            }
            Takes::Text(_, field) => *field(&mut options) = value(&mut parser, &shown)?,
            Takes::List(_, list) => list(&mut options).push(value(&mut parser, &shown)?),
            Takes::Value(_, set) => {
                set(&mut options, value(&mut parser, &shown)?).map_err(Failure::Usage)?;
            }
        }
    }
    Ok(Parsed::Run(Box::new(options)))
}

/// The value of the flag just read (`shown` as it was written), attached or the next argument.
fn value(parser: &mut lexopt::Parser, shown: &str) -> Result<String, Failure> {
    let value = parser
        .value()
        .map_err(|_| Failure::Usage(format!("flag \"{shown}\" needs a value")))?;
    value.into_string().map_err(|v| {
        Failure::Usage(format!(
            "invalid {shown} \"{}\": not UTF-8",
            v.to_string_lossy()
        ))
    })
}

fn unknown(flag: &str) -> Failure {
    Failure::Usage(format!("unknown flag \"{flag}\" (see --help)"))
}

/// Writes `text` to `path` through a temporary file beside it, so a reader sees all or nothing.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

fn run() -> Result<(), Failure> {
    let options = match parse(std::env::args_os().skip(1))? {
        Parsed::Help => {
            print!("{}", usage());
            return Ok(());
        }
        Parsed::Run(o) => *o,
    };
    let running = start(options.config).map_err(|e| Failure::Run(e.to_string()))?;
    let base = running.base();
    let io = |e: std::io::Error| Failure::Run(e.to_string());
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on {base}").map_err(io)?;
    out.flush().map_err(io)?;
    drop(out);
    if let Some(path) = &options.ready_file {
        write_atomically(path, &format!("{base}\n")).map_err(|e| {
            Failure::Run(format!(
                "cannot write ready file \"{}\": {e}",
                path.display()
            ))
        })?;
    }
    running.wait();
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("openai-ft-emulator: {e}");
            e.exit_code()
        }
    }
}
