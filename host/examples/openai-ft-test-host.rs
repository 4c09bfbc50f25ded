//! `openai-ft-test-host`: the `openai-ft` binary's protocol and sandbox running the test
//! component (`crates/test-component`) instead of the product's, so the tests can prove that the
//! sandbox stops a runaway guest, that the guest sees no environment, and what the host refuses.
//! An example, so it is built by `cargo test` and never installed; the shipped binary cannot run
//! the test component.
//!
//! usage: openai-ft-test-host selftest <memory|cpu|env|send>   (input: on stdin or OPENAI_FT_INPUT)
//!        openai-ft-test-host component                        (the test component's wasm, for
//!                                                              the Node and Python hosts' tests)

use std::process::ExitCode;

use anyhow::{Result, bail};
use openai_ft_host::config::Limits;
use openai_ft_host::{Build, Sandbox, cli};
use openai_ft_host_logic::cli::Program;

const WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/openai-ft-test.wasm"));
const NATIVE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/openai-ft-test.cwasm"));

fn main() -> ExitCode {
    cli::exit(run())
}

fn run() -> Result<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let program = Program {
        name: "openai-ft-test-host".into(),
        runtime: "wasmtime 48.0.8".into(),
        native: false,
    };
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["component"] => cli::write_wasm(WASM),
        [_, _] => cli::main(&program, &args, load),
        _ => bail!("usage: openai-ft-test-host selftest <memory|cpu|env|send> | component"),
    }
}

/// The test component has one build, whatever the command.
fn load(limits: Limits, _build: Build) -> Result<&'static Sandbox> {
    // SAFETY: NATIVE is this crate's build script's precompilation of the test component, with
    // this crate's wasmtime and engine configuration.
    unsafe { Sandbox::load_precompiled(NATIVE, limits) }
}
