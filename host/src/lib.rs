//! The `openai-ft` host as a library: the binary (`main.rs`) only names itself to [`cli`],
//! `bench/native` reuses the configuration, the protocol and the HTTP client to run the same core
//! without the sandbox, and the test-only host (`examples/`) runs the test component in the same
//! sandbox. Everything that is not a capability is the host logic's (`openai-ft-host-logic`),
//! shared with the Node and Python hosts.

pub mod bindings;
mod cache;
pub mod cli;
pub mod config;
pub mod granted;
pub mod http;
pub mod protocol;
pub mod redact;
mod sandbox;
pub mod signin;

pub use sandbox::{Build, Sandbox};
