//! What every openai-ft host decides that is not a capability, written once: the protocol's input
//! and output ([`input`]), the configuration read from the environment with every secret masked
//! before it gets here ([`config`]), the framing of each request and the wording of its failures
//! ([`request`]), the command line ([`cli`]), the memory cap written into a core module
//! ([`wasm`]), the text of the other messages a user can see ([`messages`]), and the rule that
//! makes a server's text inert wherever it is printed ([`inert`]).
//!
//! The native host links this crate; `crates/host-logic-component` builds it into a component
//! that imports nothing, which the Node and Python hosts load beside the openai-ft component
//! (HOST.md, "The host logic"). It never sees a secret: hosts mask them ([`config::mask`]) and
//! redact what they hand over. `no_std`, so the component needs no WASI at all.

#![no_std]

extern crate alloc;

pub mod cli;
pub mod config;
pub mod inert;
pub mod input;
pub mod messages;
pub mod request;
pub mod signin;
pub mod wasm;

/// The version every host reports and sends in `user-agent`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The WIT package the openai-ft component and this logic implement.
pub const WIT_PACKAGE: &str = env!("OPENAI_FT_WIT_PACKAGE");

/// Rust's `{:?}` of a string: how every message quotes an offending value.
pub fn quote(value: &str) -> alloc::string::String {
    alloc::format!("{value:?}")
}
