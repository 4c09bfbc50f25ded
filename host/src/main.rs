//! `openai-ft`: runs openai-ft's wasm component for Terraform. It reads one JSON object of
//! strings (stdin, or `OPENAI_FT_INPUT`), runs `<noun> <verb>` in the sandbox, and prints one
//! JSON object of strings, or one error line on stderr and exit status 1. This file only names
//! the binary; the work is in the `openai_ft_host` library.

use std::process::ExitCode;

use openai_ft_host::{Sandbox, cli};
use openai_ft_host_logic::cli::Program;

fn main() -> ExitCode {
    let program = Program {
        name: "openai-ft".into(),
        runtime: concat!("wasmtime ", env!("OPENAI_FT_WASMTIME_VERSION")).into(),
        native: true,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    cli::exit(cli::main(&program, &args, Sandbox::load))
}
