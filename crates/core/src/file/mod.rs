//! Training files: the streaming format check ([`validator`]), which also counts every example's
//! tokens ([`count`]) into the file's statistics ([`stats`]); what a job on the file will bill and
//! the budget gate ([`estimate`]); and the operations on the API ([`ops`]): validate the granted
//! file, find an earlier upload of the same bytes, upload, and wait for Azure to process it.

pub mod count;
pub mod estimate;
pub mod ops;
pub mod stats;
pub mod validator;

pub use ops::{FileObject, find, upload, upload_name, validate, wait_processed};
pub use validator::{Report, Validator};
