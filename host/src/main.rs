//! `openai-ft`: runs openai-ft's wasm component for Terraform. It reads one JSON object of
//! strings (stdin, or `OPENAI_FT_INPUT`), runs `<noun> <verb>` in the sandbox, and prints one
//! JSON object of strings, or one error line on stderr and exit status 1.

mod endpoint;
mod granted;
mod http;
mod protocol;
mod sandbox;

use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::endpoint::Endpoint;
use crate::granted::GrantedFile;
use crate::sandbox::{GuestError, Limits, Sandbox};

const USAGE: &str = "\
usage: openai-ft <noun> <verb>     run a command (input: a JSON object of strings on stdin,
                                   or in OPENAI_FT_INPUT; output: a JSON object on stdout)
       openai-ft <noun> --help     list a noun's commands and their inputs
       openai-ft component         write the portable wasm component to stdout
       openai-ft selftest <memory|cpu>
                                   run a deliberately runaway guest; it must be stopped
       openai-ft --help | --version

environment:
  OPENAI_API_KEY       project API key (jobs, files, models)
  OPENAI_ADMIN_KEY     admin key (checkpoint permissions only)
  OPENAI_BASE_URL      API base (default https://api.openai.com/v1; https, or http on loopback)
  OPENAI_ORG_ID        sent as OpenAI-Organization
  OPENAI_PROJECT_ID    sent as OpenAI-Project
  OPENAI_FT_FLAVOR     openai, azure or azure-classic (default: azure when
                       AZURE_OPENAI_ENDPOINT is set, else openai)
  AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY or AZURE_OPENAI_AD_TOKEN,
  OPENAI_API_VERSION   Azure OpenAI (api-version for azure-classic only)
  OPENAI_FT_INPUT      the input object, when stdin is not used (local-exec)
  OPENAI_FT_TIMEOUT, OPENAI_FT_CONNECT_TIMEOUT          seconds (default 120, 10)
  OPENAI_FT_MEMORY_LIMIT_MIB, OPENAI_FT_CPU_LIMIT_SECS  guest limits (default 256, 300)
";

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            // One line, whatever the cause chain looks like.
            let line = format!("{e:#}").replace(['\n', '\r'], " ");
            eprintln!("openai-ft: {line}");
            ExitCode::from(1)
        }
    }
}

fn run() -> Result<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] => {
            eprint!("{USAGE}");
            Ok(ExitCode::from(2))
        }
        ["-h" | "--help" | "help"] => {
            print!("{USAGE}\ncommands:\n{}", command_list(None)?);
            Ok(ExitCode::SUCCESS)
        }
        ["-V" | "--version"] => {
            println!(
                "openai-ft {} (wit openai:fine-tuning@0.1.0, wasmtime 48.0.8)",
                env!("CARGO_PKG_VERSION")
            );
            Ok(ExitCode::SUCCESS)
        }
        ["component"] => {
            let mut stdout = std::io::stdout().lock();
            if stdout.is_terminal() {
                bail!(
                    "refusing to write binary wasm to a terminal; redirect it: openai-ft component > openai-ft.wasm"
                );
            }
            stdout.write_all(sandbox::COMPONENT_WASM)?;
            stdout.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        [noun, "-h" | "--help"] => {
            let list = command_list(Some(noun))?;
            if list.is_empty() {
                bail!("unknown noun {noun:?}; run openai-ft --help for the commands");
            }
            print!("{list}");
            Ok(ExitCode::SUCCESS)
        }
        ["selftest", which @ ("memory" | "cpu")] => {
            let http = Arc::new(http::Client::new(Endpoint::from_env(|_| None)?));
            match Sandbox::load(limits()?)?.run(http, None, &format!("selftest {which}"), &[])? {
                Ok(_) => bail!("selftest {which}: the runaway guest was not stopped"),
                Err(e) => bail!("{}", guest_error_line(e)),
            }
        }
        [noun, verb] if !noun.starts_with('-') && !verb.starts_with('-') => command(noun, verb),
        _ => {
            eprint!("{USAGE}");
            bail!(
                "unexpected arguments {:?}; see the usage above",
                args.join(" ")
            )
        }
    }
}

/// Runs `<noun> <verb>` with the protocol input, and prints the output object.
fn command(noun: &str, verb: &str) -> Result<ExitCode> {
    let input = match std::env::var_os("OPENAI_FT_INPUT") {
        Some(v) => protocol::parse_input(v.as_encoded_bytes(), "OPENAI_FT_INPUT")?,
        None => {
            let mut stdin = std::io::stdin().lock();
            if stdin.is_terminal() {
                bail!("no input: pipe a JSON object of strings on stdin or set OPENAI_FT_INPUT");
            }
            let mut bytes = Vec::new();
            stdin.read_to_end(&mut bytes).context("reading stdin")?;
            protocol::parse_input(&bytes, "stdin")?
        }
    };
    // The `file` commands read one local file: the host opens exactly that one for the guest.
    let file = match (noun, input.iter().find(|(k, _)| k == "path")) {
        ("file", Some((_, path))) if !path.is_empty() => {
            Some(GrantedFile::open(Path::new(path)).map_err(|e| {
                anyhow::anyhow!(
                    "invalid path {path:?}: {e}; set path to a readable local JSONL file"
                )
            })?)
        }
        _ => None,
    };
    let http = Arc::new(http::Client::new(Endpoint::from_env(env_var)?));
    let sandbox = Sandbox::load(limits()?)?;
    match sandbox.run(http, file, &format!("{noun} {verb}"), &input)? {
        Ok(output) => {
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "{}", protocol::render_output(output))?;
            stdout.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => bail!("{}", guest_error_line(e)),
    }
}

fn guest_error_line(e: GuestError) -> String {
    match e {
        GuestError::InvalidInput(i) => i.message,
        GuestError::Api(a) => a.message,
        GuestError::Denied(m)
        | GuestError::Timeout(m)
        | GuestError::Transport(m)
        | GuestError::MissingCredential(m)
        | GuestError::Failed(m) => m,
    }
}

/// The commands (of one noun, or all), one per line with their inputs.
fn command_list(noun: Option<&str>) -> Result<String> {
    let http = Arc::new(http::Client::new(Endpoint::from_env(|_| None)?));
    let mut out = String::new();
    for c in Sandbox::load(limits()?)?.describe(http)? {
        if noun.is_some_and(|n| c.name.split(' ').next() != Some(n)) {
            continue;
        }
        out.push_str(&format!(
            "  {:<22} {}\n  {:<22} inputs: {}\n",
            c.name,
            c.summary,
            "",
            c.inputs.join(", ")
        ));
    }
    Ok(out)
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn limits() -> Result<Limits> {
    let number = |name: &str, default: u64, max: u64| -> Result<u64> {
        match env_var(name) {
            None => Ok(default),
            Some(v) => match v.trim().parse::<u64>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => bail!("invalid {name} {v:?}: must be a whole number 1-{max}"),
            },
        }
    };
    Ok(Limits {
        memory: (number("OPENAI_FT_MEMORY_LIMIT_MIB", 256, 4096)? as usize) << 20,
        cpu: Duration::from_secs(number("OPENAI_FT_CPU_LIMIT_SECS", 300, 86_400)?),
    })
}
