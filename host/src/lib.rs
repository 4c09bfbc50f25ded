//! The `openai-ft` host as a library: the binary (`main.rs`) only dispatches its arguments to
//! [`cli`], and `bench/native` reuses the configuration, the protocol and the HTTP client to run
//! the same core without the sandbox.

pub mod bindings;
pub mod cli;
pub mod config;
pub mod granted;
pub mod http;
pub mod protocol;
pub mod redact;
mod sandbox;
