//! What each invocation of the binary does, as the host logic reads its arguments
//! (`openai_ft_host_logic::cli`): run one `<noun> <verb>` command, list the commands, or write out
//! a portable component. Errors come back to [`exit`], which prints them as one line.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Result, anyhow, bail};
use openai_ft_host_logic::cli::{self as logic, CommandInfo, Program, Step};
use openai_ft_host_logic::input::finish;
use openai_ft_host_logic::messages::{Notice, OpenFailure, error_line, grant_refusal, notice};

use crate::bindings::GuestError;
use crate::config::{Config, Limits};
use crate::granted::GrantedFile;
use crate::sandbox::{Build, Sandbox};
use crate::{http, protocol, sandbox};

/// The host logic's component, which the Node and Python hosts load (`openai-ft component
/// host-logic`).
const HOST_LOGIC_WASM: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/openai-ft-host-logic.wasm"));

/// How a binary loads its sandbox: `openai-ft` its embedded component ([`Sandbox::load`]), in
/// the build a command needs.
pub type Loader = fn(Limits, Build) -> Result<&'static Sandbox>;

/// The process's exit: `result`'s code, or status 1 after its error as one line on stderr,
/// whatever the cause chain looks like (every binary of this crate ends this way).
pub fn exit(result: Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{}", error_line(&format!("{e:#}")));
            ExitCode::from(1)
        }
    }
}

/// Runs the binary `program` with `args` (its arguments, without its name), in the sandboxes
/// `loader` gives.
pub fn main(program: &Program, args: &[String], loader: Loader) -> Result<ExitCode> {
    let mut step = logic::step(program, args, None);
    if step == Step::Describe {
        step = logic::step(program, args, Some(&commands(loader)?));
    }
    match step {
        Step::Exit {
            stdout,
            stderr,
            status,
        } => {
            print!("{stdout}");
            eprint!("{stderr}");
            Ok(ExitCode::from(status))
        }
        Step::Component { host_logic } => write_wasm(if host_logic {
            HOST_LOGIC_WASM
        } else {
            sandbox::COMPONENT_WASM
        }),
        Step::Command(noun, verb) => command(loader, &noun, &verb),
        Step::Describe => bail!("the commands were described, yet the logic asks for them again"),
    }
}

/// Writes `wasm` to stdout, never to a terminal.
pub fn write_wasm(wasm: &[u8]) -> Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    if stdout.is_terminal() {
        bail!(notice(&Notice::WasmToTerminal));
    }
    stdout.write_all(wasm)?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `<noun> <verb>` with the protocol input, and prints the output object (every secret of
/// the configuration redacted from it, output and error alike), or with `"output": "summary"`
/// (what the modules' local-exec asks for) the guest's one line as text.
fn command(loader: Loader, noun: &str, verb: &str) -> Result<ExitCode> {
    let name = format!("{noun} {verb}");
    let input = protocol::read_input(&name).map_err(|e| anyhow!(e))?;
    let file = match &input.grant {
        Some(path) => Some(
            GrantedFile::open(std::path::Path::new(path))
                .map_err(|why: OpenFailure| anyhow!(grant_refusal(path, &why)))?,
        ),
        None => None,
    };
    let (http, sandbox) = load(
        Config::from_env().map_err(|e| anyhow!(e))?,
        loader,
        Build::for_noun(noun),
    )?;
    let redactor = http.redactor();
    let redact = |text: &str| redactor.text(text).into_owned();
    let outcome = sandbox
        .run(http, file, &name, &input.pairs)
        .map_err(|e| anyhow!("{}", redact(&format!("{e:#}"))))?;
    match outcome {
        Ok(output) => {
            let output = output
                .into_iter()
                .map(|(k, v)| (redact(&k), redact(&v)))
                .collect();
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "{}", finish(output, input.summary).line)?;
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

/// Every command the component offers, as it describes them (with the default configuration:
/// listing sends nothing).
fn commands(loader: Loader) -> Result<Vec<CommandInfo>> {
    let (http, sandbox) = load(Config::offline(), loader, Build::Lean)?;
    Ok(sandbox
        .describe(http)?
        .into_iter()
        .map(|c| CommandInfo {
            name: c.name,
            summary: c.summary,
            inputs: c.inputs,
        })
        .collect())
}
