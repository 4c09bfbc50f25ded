//! What each invocation of the binary does: run one `<noun> <verb>` command, list the commands,
//! run a self-test, or write out the component. Errors come back to `main`, which prints them as
//! one line.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::endpoint::Endpoint;
use crate::granted::GrantedFile;
use crate::sandbox::{GuestError, Limits, Sandbox};
use crate::{http, protocol, sandbox};

/// Prints one noun's commands and their inputs (`openai-ft <noun> --help`).
pub fn noun_help(noun: &str) -> Result<ExitCode> {
    let list = command_list(Some(noun))?;
    if list.is_empty() {
        bail!("unknown noun {noun:?}; run openai-ft --help for the commands");
    }
    print!("{list}");
    Ok(ExitCode::SUCCESS)
}

/// Writes the portable wasm component to stdout, never to a terminal.
pub fn write_component() -> Result<ExitCode> {
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

/// Runs a deliberately runaway guest (`memory` or `cpu`); it must be stopped by its limit.
pub fn selftest(which: &str) -> Result<ExitCode> {
    let http = Arc::new(http::Client::new(Endpoint::from_env(|_| None)?));
    match Sandbox::load(limits()?)?.run(http, None, &format!("selftest {which}"), &[])? {
        Ok(_) => bail!("selftest {which}: the runaway guest was not stopped"),
        Err(e) => bail!("{}", guest_error_line(e)),
    }
}

/// Runs `<noun> <verb>` with the protocol input, and prints the output object.
pub fn command(noun: &str, verb: &str) -> Result<ExitCode> {
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
pub fn command_list(noun: Option<&str>) -> Result<String> {
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
