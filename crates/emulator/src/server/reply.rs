//! Building responses: every one carries the flavour's request-id headers (and OpenAI's
//! organization and version headers), a content type and any extra headers of the operation.

use super::shared::{Shared, lock};
use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;
use serde_json::Value;

pub type Resp = Response<Full<Bytes>>;

/// Returned by the service to make hyper close the connection without a response.
#[derive(Debug)]
pub struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

/// The request-id headers: OpenAI sends `x-request-id: req_…` (plus its organization and version
/// headers); Azure sends a UUID as `apim-request-id`, and the same UUID as `x-request-id`.
fn id_headers(shared: &Shared) -> Vec<(&'static str, String)> {
    // A generator of its own, so building a response never needs the state lock.
    let mut rng = lock(&shared.request_ids);
    let (a, b) = (rng.next(), rng.next());
    if shared.config.flavor.is_azure() {
        let uuid = format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            ((b >> 48) & 0x3fff) | 0x8000,
            b & 0xffff_ffff_ffff
        );
        vec![("apim-request-id", uuid.clone()), ("x-request-id", uuid)]
    } else {
        vec![
            ("x-request-id", format!("req_{a:016x}{b:016x}")),
            ("openai-organization", shared.config.org.clone()),
            ("openai-version", "2020-10-01".to_string()),
        ]
    }
}

pub fn respond(
    shared: &Shared,
    status: u16,
    body: Bytes,
    content_type: &str,
    extra: &[(&str, String)],
) -> Resp {
    let mut b = Response::builder().status(status);
    // An answer without a body (ARM's 202 and 204) names no type.
    if !content_type.is_empty() {
        b = b.header("content-type", content_type);
    }
    for (k, v) in id_headers(shared) {
        b = b.header(k, v);
    }
    for (k, v) in extra {
        b = b.header(*k, v.as_str());
    }
    b.body(Full::new(body))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

pub fn json(shared: &Shared, status: u16, body: &Value, extra: &[(&str, String)]) -> Resp {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    respond(
        shared,
        status,
        Bytes::from(bytes),
        "application/json",
        extra,
    )
}
