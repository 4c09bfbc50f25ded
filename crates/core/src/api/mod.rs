//! Talking to the API, once: [`send`] with retries by a [`retry`] policy and error answers turned
//! into [`ApiError`](crate::ApiError)s, the one cursor [`page`]r every list goes through, and the
//! one [`create`] helper that resolves a failed create by looking it up before sending it again.

pub mod create;
mod pace;
pub mod page;
pub mod retry;
mod send;

pub use pace::Pace;
pub use send::{api_error, decode, fetch, send};
