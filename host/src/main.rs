//! `openai-ft`: runs openai-ft's wasm component for Terraform. It reads one JSON object of
//! strings (stdin, or `OPENAI_FT_INPUT`), runs `<noun> <verb>` in the sandbox, and prints one
//! JSON object of strings, or one error line on stderr and exit status 1. This file only
//! dispatches the arguments; the work is in the `openai_ft_host` library.

use std::process::ExitCode;

use anyhow::{Result, bail};
use openai_ft_host::cli;

const USAGE: &str = "\
usage: openai-ft <noun> <verb>     run a command (input: a JSON object of strings on stdin,
                                   or in OPENAI_FT_INPUT; output: a JSON object on stdout)
       openai-ft <noun> --help     list a noun's commands and their inputs
       openai-ft component         write the portable wasm component to stdout
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
  HTTPS_PROXY, ALL_PROXY, NO_PROXY                      proxy for an https base (never loopback)
  OPENAI_FT_MEMORY_LIMIT_MIB, OPENAI_FT_CPU_LIMIT_SECS  guest limits (default 256, 300)
";

fn main() -> ExitCode {
    cli::exit(run())
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
            print!("{USAGE}\ncommands:\n{}", cli::command_list(None)?);
            Ok(ExitCode::SUCCESS)
        }
        ["-V" | "--version"] => {
            println!(
                "openai-ft {} (wit openai:fine-tuning@0.3.0, wasmtime 48.0.8)",
                env!("CARGO_PKG_VERSION")
            );
            Ok(ExitCode::SUCCESS)
        }
        ["component"] => cli::write_component(),
        [noun, "-h" | "--help"] => cli::noun_help(noun),
        [noun, verb] if !noun.starts_with('-') && !verb.starts_with('-') => {
            cli::command(noun, verb)
        }
        _ => {
            eprint!("{USAGE}");
            bail!(
                "unexpected arguments {:?}; see the usage above",
                args.join(" ")
            )
        }
    }
}
