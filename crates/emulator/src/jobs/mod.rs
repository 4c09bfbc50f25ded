//! Fine-tuning jobs: create-time validation like the real API ([`validation`], [`create`]), the
//! life cycle on a logical clock with cancel/pause/resume ([`lifecycle`]), the training-file check
//! it runs ([`training_file`]), what a finished job bills ([`billing`]), and the read endpoints
//! ([`handlers`]).

mod billing;
mod create;
mod handlers;
mod lifecycle;
mod training_file;
mod validation;

pub use create::create;
pub use handlers::{checkpoints, delete, events, list, retrieve};
pub use lifecycle::{Action, act, advance, force_fail};
