//! Training files: the streaming format check ([`validator`]) and the operations on the API
//! ([`ops`]): validate the granted file, find an earlier upload of the same bytes, upload, and
//! wait for Azure to process it.

pub mod ops;
pub mod validator;

pub use ops::{FileObject, find, upload, upload_name, validate, wait_processed};
pub use validator::{Report, Validator};
