//! What each invocation of the binary does: run one `<noun> <verb>` command, list the commands,
//! run a self-test, or write out the component. Errors come back to `main`, which prints them as
//! one line.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Result, bail};

use crate::bindings::GuestError;
use crate::config::{self, Config};
use crate::sandbox::{Build, Sandbox};
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
    let (http, sandbox) = load(Config::offline()?, Build::Lean)?;
    match sandbox.run(http, None, &format!("selftest {which}"), &[])? {
        Ok(_) => bail!("selftest {which}: the runaway guest was not stopped"),
        Err(e) => bail!("{}", guest_error_line(e)),
    }
}

/// Runs `<noun> <verb>` with the protocol input, and prints the output object.
pub fn command(noun: &str, verb: &str) -> Result<ExitCode> {
    let input = protocol::read_input()?;
    let file = config::granted_file(noun, &input)?;
    let (http, sandbox) = load(Config::from_env()?, Build::for_noun(noun))?;
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

/// The HTTP client and the loaded sandbox, running `build`, that `config` describes.
fn load(config: Config, build: Build) -> Result<(Arc<http::Client>, &'static Sandbox)> {
    let http = Arc::new(http::Client::new(config.endpoint));
    Ok((http, Sandbox::load(config.limits, build)?))
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
    let (http, sandbox) = load(Config::offline()?, Build::Lean)?;
    let mut out = String::new();
    for c in sandbox.describe(http)? {
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
