//! What each invocation of the binary does: run one `<noun> <verb>` command, list the commands,
//! or write out the component. Errors come back to `main`, which prints them as one line.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Result, anyhow, bail};

use crate::bindings::GuestError;
use crate::config::{self, Config, Limits};
use crate::sandbox::{Build, Sandbox};
use crate::{http, protocol, sandbox};

/// The process's exit: `result`'s code, or status 1 after its error as one line on stderr,
/// whatever the cause chain looks like (every binary of this crate ends this way).
pub fn exit(result: Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) => {
            let line = format!("{e:#}").replace(['\n', '\r'], " ");
            eprintln!("openai-ft: {line}");
            ExitCode::from(1)
        }
    }
}

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
    write_wasm(sandbox::COMPONENT_WASM)
}

/// Writes `wasm` to stdout, never to a terminal.
pub fn write_wasm(wasm: &[u8]) -> Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    if stdout.is_terminal() {
        bail!(
            "refusing to write binary wasm to a terminal; redirect it: openai-ft component > openai-ft.wasm"
        );
    }
    stdout.write_all(wasm)?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// How a binary loads its sandbox: `openai-ft` its embedded component ([`Sandbox::load`]), in
/// the build a command needs.
pub type Loader = fn(Limits, Build) -> Result<&'static Sandbox>;

/// Runs `<noun> <verb>` with the protocol input, and prints the output object (every secret of
/// the configuration redacted from it, output and error alike), or with
/// `"output": "summary"` (what the modules' local-exec asks for) the guest's one line as text.
pub fn command(noun: &str, verb: &str) -> Result<ExitCode> {
    command_in(Sandbox::load, noun, verb)
}

/// [`command`], in the sandbox `loader` gives.
pub fn command_in(loader: Loader, noun: &str, verb: &str) -> Result<ExitCode> {
    let input = protocol::read_input()?;
    let file = config::granted_file(noun, &input)?;
    let summary = input.iter().any(|(k, v)| k == "output" && v == "summary");
    let (http, sandbox) = load(Config::from_env()?, loader, Build::for_noun(noun))?;
    let redactor = http.redactor();
    let redact = |text: &str| redactor.text(text).into_owned();
    let outcome = sandbox
        .run(http, file, &format!("{noun} {verb}"), &input)
        .map_err(|e| anyhow!("{}", redact(&format!("{e:#}"))))?;
    match outcome {
        Ok(output) => {
            let output: Vec<(String, String)> = output
                .into_iter()
                .map(|(k, v)| (redact(&k), redact(&v)))
                .collect();
            let mut stdout = std::io::stdout().lock();
            match output.as_slice() {
                [(key, line)] if summary && key == "summary" => writeln!(stdout, "{line}")?,
                _ => writeln!(stdout, "{}", protocol::render_output(output))?,
            }
            stdout.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => bail!("{}", redact(&guest_error_line(e))),
    }
}

/// The HTTP client and the sandbox `loader` gives, running `build`, that `config` describes.
fn load(
    config: Config,
    loader: Loader,
    build: Build,
) -> Result<(Arc<http::Client>, &'static Sandbox)> {
    let http = Arc::new(http::Client::new(config.endpoint));
    Ok((http, loader(config.limits, build)?))
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
    let (http, sandbox) = load(Config::offline()?, Sandbox::load, Build::Lean)?;
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
