//! openai-ft's logic: fine-tuning jobs, training files and checkpoint permissions, as plain Rust.
//! It does no I/O of its own: every request, clock read, sleep and progress line goes through the
//! [`Platform`] trait, which the wasm component implements with WIT imports and the unit tests
//! implement with one in-memory fake of the API (`testing`).

pub mod api;
pub mod commands;
pub mod deployment;
pub mod error;
pub mod file;
pub mod flavor;
pub mod ids;
pub mod input;
pub mod inventory;
pub mod job;
pub mod models;
pub mod permissions;
pub mod platform;
/// The API scenarios the unit tests' fake and the emulator both run (test support).
#[cfg(any(test, feature = "scenarios"))]
pub mod scenarios;
#[cfg(test)]
mod testing;
pub mod time;
pub mod tokens;
pub mod training_method;
pub mod warning;

pub use error::{ApiError, Error, HttpError, InputError, Result};
pub use flavor::Flavor;
pub use input::{Input, Output};
pub use platform::Platform;
