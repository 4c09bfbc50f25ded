//! Terraform's side of the conversation: the input is one JSON object of strings (the `external`
//! data source's query on stdin, or `OPENAI_FT_INPUT` for local-exec, which gives no stdin), and
//! the output is one flat JSON object of strings on stdout.

use std::io::{IsTerminal, Read};

use anyhow::{Context, Result, bail};
pub use openai_ft_protocol::{MAX_INPUT_BYTES, MAX_INPUT_KEYS, parse_input, render_output};

use crate::config;

/// Reads and parses the input: [`config::INPUT_VAR`] when it is set, else stdin, which must not
/// be a terminal.
pub fn read_input() -> Result<Vec<(String, String)>> {
    match config::input_var() {
        Some(v) => parse_input(v.as_encoded_bytes(), config::INPUT_VAR),
        None => {
            let stdin = std::io::stdin().lock();
            if stdin.is_terminal() {
                bail!("no input: pipe a JSON object of strings on stdin or set OPENAI_FT_INPUT");
            }
            let mut bytes = Vec::new();
            // One byte past the cap is enough to know it was passed.
            stdin
                .take(MAX_INPUT_BYTES as u64 + 1)
                .read_to_end(&mut bytes)
                .context("reading stdin")?;
            parse_input(&bytes, "stdin")
        }
    }
}
