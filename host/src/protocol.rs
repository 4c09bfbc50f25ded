//! Terraform's side of the conversation: the input is one JSON object of strings (the `external`
//! data source's query on stdin, or `OPENAI_FT_INPUT` for local-exec, which gives no stdin),
//! read here and parsed by the host logic (`openai_ft_host_logic::input`).

use std::io::{IsTerminal, Read};

use openai_ft_host_logic::input::{self, MAX_INPUT_BYTES, Parsed};
use openai_ft_host_logic::messages::{Notice, notice};

use crate::config;

/// Reads and parses `command`'s input: [`config::INPUT_VAR`] when it is set, else stdin, which
/// must not be a terminal.
pub fn read_input(command: &str) -> Result<Parsed, String> {
    match config::input_var() {
        Some(v) => input::parse(command, v.as_encoded_bytes(), config::INPUT_VAR),
        None => {
            let stdin = std::io::stdin().lock();
            if stdin.is_terminal() {
                return Err(notice(&Notice::NoInput));
            }
            let mut bytes = Vec::new();
            // One byte past the cap is enough to know it was passed.
            stdin
                .take(MAX_INPUT_BYTES as u64 + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| notice(&Notice::ReadingStdin(e.to_string())))?;
            input::parse(command, &bytes, "stdin")
        }
    }
}
