//! What the fuzz targets share: the host's protocol module, compiled from its own source file.
//! The host library itself embeds the precompiled wasm component (wasmtime, cranelift and a
//! nested wasm build), which would make the fuzz build take longer than all the fuzzing; the
//! parser needs none of it, only the two names of `config` stubbed below.

/// The part of the host's `config` that `protocol` reads: the variable's name, and no value (the
/// targets call the parser directly, never `read_input`).
pub mod config {
    pub const INPUT_VAR: &str = "OPENAI_FT_INPUT";

    pub fn input_var() -> Option<std::ffi::OsString> {
        None
    }
}

#[path = "../../host/src/protocol.rs"]
#[allow(dead_code)]
pub mod protocol;
