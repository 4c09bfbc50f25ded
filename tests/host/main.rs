//! The host's integration tests, one binary with one module per feature (ripgrep's layout): each
//! runs the real `openai-ft` binary in a clean environment, mostly against the in-process
//! emulator, through the helpers in `util`.

mod util;

mod azure;
mod cache;
mod cli;
mod config;
mod deployment;
mod faults;
mod files;
mod inventory;
mod job_read;
mod jobs;
mod lifecycle;
mod paging;
mod permissions;
mod protocol;
mod proxy;
mod redaction;
mod sandbox;
mod signin;
mod tokens;
