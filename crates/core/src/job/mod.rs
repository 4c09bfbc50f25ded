//! Fine-tuning jobs: the [`object`] the API returns, the checked create request ([`spec`]), its
//! [`budget`] gate, the idempotent [`create`], the operations on a job that exists ([`ops`]) and
//! following one to its end ([`wait`]).

pub mod budget;
pub mod create;
pub mod object;
pub mod ops;
pub mod spec;
pub mod wait;

pub use budget::{FileFigures, JobBudget};
pub use create::{
    create_or_adopt, create_within, find_by_key, find_for, key_of, refuse_before_create,
};
pub use object::{Checkpoint, Event, Job, JobError, JobStatus, checkpoints_json};
pub use ops::{
    action, cancel, checkpoints, deadline, enforce_timeout, list, read, timed_out, unsuccessful,
};
pub use spec::JobSpec;
pub use wait::{WaitOptions, wait};
