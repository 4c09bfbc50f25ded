//! The Files API: multipart upload, list (purpose/order/after/limit), retrieve, delete and content,
//! and Azure's dated import from a URL. Only the fields each surface's file schema defines are
//! sent; `expires_at` appears only when an expiry was set (and never on 2024-10-21, whose `File`
//! has none). On Azure an upload is `pending`, then `running`, then `processed` (or `error` for a
//! fine-tune file that is not JSONL, or an import the emulator cannot download), one job step
//! apart; see [`advance`].

use crate::config::Config;
use crate::errors::{ApiError, quoted};
use crate::flavor::{Dated, Mount, Surface};
use crate::pagination::{list_body, page};
use crate::query::Query;
use crate::state::{FileRec, FileStatus, State};
use serde_json::{Map, Value, json};

pub fn file_object(f: &FileRec, surface: Surface) -> Value {
    let mut v = json!({
        "id": f.id,
        "object": "file",
        "bytes": f.bytes,
        "created_at": f.created_at,
        "filename": f.filename,
        "purpose": f.purpose,
        "status": f.status.as_str(),
    });
    if let Some(exp) = f
        .expires_at
        .filter(|_| surface != Surface::Dated(Dated::Ga))
    {
        v["expires_at"] = json!(exp);
    }
    if let Some(details) = &f.status_details {
        v["status_details"] = json!(details);
    }
    v
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(Some("id"), format!("No such File object: {id}"))
}

/// One part of a `multipart/form-data` body.
struct Part {
    name: String,
    filename: Option<String>,
    data: Vec<u8>,
}

fn boundary(content_type: &str) -> Option<String> {
    let (mime, params) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// The quoted `key="value"` parameter of a Content-Disposition header.
fn disposition_param(header: &str, key: &str) -> Option<String> {
    header.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        (k.trim().eq_ignore_ascii_case(key)).then(|| v.trim().trim_matches('"').to_string())
    })
}

fn parse_multipart(body: &[u8], boundary: &str) -> Result<Vec<Part>, ApiError> {
    let bad = || ApiError::invalid(None, "Could not parse multipart form");
    let delim = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let mut pos = find(body, &delim, 0).ok_or_else(bad)? + delim.len();
    loop {
        if body[pos..].starts_with(b"--") {
            break;
        }
        let head_start = pos + 2; // skip CRLF after the delimiter
        let head_end = find(body, b"\r\n\r\n", head_start).ok_or_else(bad)?;
        let headers = String::from_utf8_lossy(&body[head_start..head_end]).into_owned();
        let next =
            find(body, &[b"\r\n".as_slice(), &delim].concat(), head_end + 4).ok_or_else(bad)?;
        let data = body[head_end + 4..next].to_vec();
        let disposition = headers
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .unwrap_or("");
        let name = disposition_param(disposition, "name").unwrap_or_default();
        let filename = disposition_param(disposition, "filename");
        parts.push(Part {
            name,
            filename,
            data,
        });
        pos = next + 2 + delim.len();
        if pos > body.len() {
            return Err(bad());
        }
    }
    Ok(parts)
}

pub fn create(
    state: &mut State,
    config: &Config,
    surface: Surface,
    content_type: Option<&str>,
    body: &[u8],
    now_ms: u64,
) -> Result<Value, ApiError> {
    let now = now_ms / 1000;
    let boundary = content_type.and_then(boundary).ok_or_else(|| {
        ApiError::invalid(
            None,
            "Invalid Content-Type header: expected multipart/form-data with a boundary.",
        )
    })?;
    let parts = parse_multipart(body, &boundary)?;
    let field = |name: &str| parts.iter().find(|p| p.name == name);
    let text = |name: &str| field(name).map(|p| String::from_utf8_lossy(&p.data).into_owned());
    let expiry = surface.expiry(config);
    let known = |name: &str| {
        matches!(name, "purpose" | "file")
            || expiry.is_some_and(|e| name == e.anchor || name == e.seconds)
            || (surface == Surface::V1 && name == "expires_after")
    };
    if let Some(p) = parts.iter().find(|p| !known(&p.name)) {
        return Err(ApiError::unknown_argument(&p.name));
    }
    let purpose = text("purpose").ok_or_else(|| ApiError::missing("purpose"))?;
    check_purpose(surface, &purpose)?;
    let file = field("file").ok_or_else(|| ApiError::missing("file"))?;
    let filename = file.filename.clone().unwrap_or_else(|| "file".to_string());
    if purpose == "fine-tune" && !filename.ends_with(".jsonl") {
        return Err(ApiError::invalid(
            Some("file"),
            format!("Invalid file format for Fine-Tuning API. Must be .jsonl (got '{filename}')."),
        ));
    }
    let expires_at = match expiry {
        None => None,
        Some(e) => {
            // v1's object may also come as one JSON part, OpenAPI's default for an object.
            let json_part = text("expires_after")
                .and_then(|t| serde_json::from_str::<Map<String, Value>>(&t).ok());
            let shown = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
            let (anchor, seconds) = match &json_part {
                Some(o) => (o.get("anchor").map(shown), o.get("seconds").map(shown)),
                None => (text(e.anchor), text(e.seconds)),
            };
            expires_at(e, anchor, seconds, now)?
        }
    };
    let rec = FileRec {
        id: state.rng.id("file-", 22),
        filename,
        purpose,
        bytes: file.data.len() as u64,
        created_at: now,
        expires_at,
        content: String::from_utf8_lossy(&file.data).into_owned(),
        status: if config.flavor.file_processing_steps() == 0 {
            FileStatus::Processed
        } else {
            FileStatus::Pending
        },
        status_details: None,
        uploaded_ms: now_ms,
        import_url: None,
    };
    let obj = file_object(&rec, surface);
    state.files.push(rec);
    Ok(obj)
}

/// Refuses a purpose the surface's upload does not take.
fn check_purpose(surface: Surface, purpose: &str) -> Result<(), ApiError> {
    let purposes = surface.upload_purposes();
    if purposes.contains(&purpose) {
        return Ok(());
    }
    Err(ApiError::invalid(
        Some("purpose"),
        format!(
            "Invalid value for 'purpose': '{purpose}'. Supported values are: {}.",
            quoted(purposes)
        ),
    )
    .with_code("invalid_value"))
}

/// The Unix time an upload expires, from its `expires_after` fields as the surface bounds them.
fn expires_at(
    e: crate::flavor::Expiry,
    anchor: Option<String>,
    seconds: Option<String>,
    now: u64,
) -> Result<Option<u64>, ApiError> {
    if anchor.is_none() && seconds.is_none() {
        if e.required {
            return Err(ApiError::missing("expires_after"));
        }
        return Ok(None);
    }
    if anchor.as_deref() != Some("created_at") {
        return Err(ApiError::invalid(
            Some("expires_after.anchor"),
            "Invalid 'expires_after.anchor': must be 'created_at'.",
        ));
    }
    let (min, max) = e.range;
    match seconds.as_deref().and_then(|s| s.parse::<u64>().ok()) {
        Some(secs) if (min..=max).contains(&secs) => Ok(Some(now + secs)),
        _ => Err(ApiError::invalid(
            Some("expires_after.seconds"),
            format!(
                "Invalid 'expires_after.seconds': expected an integer between {min} and {max}."
            ),
        )),
    }
}

/// Azure's dated `POST /files/import`: a `pending` file whose content is to be fetched from
/// `content_url`. The emulator has no network, so its processing ends in `error`, saying so.
pub fn import(
    state: &mut State,
    surface: Surface,
    body: &Value,
    now_ms: u64,
) -> Result<Value, ApiError> {
    let body = body.as_object().ok_or_else(ApiError::bad_json)?;
    let allowed: &[&str] = match surface {
        Surface::Dated(Dated::Preview) => &["purpose", "filename", "content_url", "expires_after"],
        _ => &["purpose", "filename", "content_url"],
    };
    if let Some(k) = body.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(ApiError::unknown_argument(k));
    }
    let string = |name: &str| match body.get(name) {
        None | Some(Value::Null) => Err(ApiError::missing(name)),
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(other) => Err(ApiError::invalid_type(name, "a non-empty string", other)),
    };
    let (purpose, filename, url) = (
        string("purpose")?,
        string("filename")?,
        string("content_url")?,
    );
    check_purpose(surface, &purpose)?;
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(ApiError::invalid(
            Some("content_url"),
            format!("Invalid 'content_url': '{url}' is not an absolute URL."),
        ));
    }
    let rec = FileRec {
        id: state.rng.id("file-", 22),
        filename,
        purpose,
        bytes: 0,
        created_at: now_ms / 1000,
        expires_at: None,
        content: String::new(),
        status: FileStatus::Pending,
        status_details: None,
        uploaded_ms: now_ms,
        import_url: Some(url),
    };
    let obj = file_object(&rec, surface);
    state.files.push(rec);
    Ok(obj)
}

/// Moves uploads through processing, one status per job step. Returns whether anything changed.
pub fn advance(state: &mut State, config: &Config, now_ms: u64) -> bool {
    let steps = config.flavor.file_processing_steps();
    let step_ms = config.step_ms.max(1);
    let mut changed = false;
    for f in &mut state.files {
        if !matches!(f.status, FileStatus::Pending | FileStatus::Running) {
            continue;
        }
        let elapsed = now_ms.saturating_sub(f.uploaded_ms) / step_ms;
        let next = if elapsed >= steps {
            match jsonl_problem(f) {
                None => FileStatus::Processed,
                Some(why) => {
                    f.status_details = Some(why);
                    FileStatus::Error
                }
            }
        } else if elapsed >= 1 {
            FileStatus::Running
        } else {
            FileStatus::Pending
        };
        changed |= next != f.status;
        f.status = next;
    }
    changed
}

/// Why a fine-tune upload cannot be used at all (not JSONL of objects); `None` when it can. The
/// per-method row checks happen later, when a job validates its files.
fn jsonl_problem(f: &FileRec) -> Option<String> {
    if let Some(url) = &f.import_url {
        return Some(format!(
            "Could not download the file from {url}: openai-ft-emulator has no network access."
        ));
    }
    if f.purpose != "fine-tune" {
        return None;
    }
    let mut rows = 0;
    for (i, line) in f.content.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        rows += 1;
        match serde_json::from_str::<Value>(line.trim_start_matches('\u{feff}')) {
            Ok(Value::Object(_)) => {}
            _ => {
                return Some(format!(
                    "Invalid file format. Line {} is not a valid JSON object.",
                    i + 1
                ));
            }
        }
    }
    (rows == 0).then(|| "Invalid file format. The file contains no examples.".to_string())
}

/// The file list. OpenAI and the dated preview take `purpose`, `order`, `after` and `limit`; v1
/// and 2024-10-21 take only `purpose` (the others are ignored). The dated `FileList` is just
/// `{object, data}`; v1's and OpenAI's give `first_id`/`last_id` as strings (`""` when empty).
pub fn list(state: &State, surface: Surface, q: &Query) -> Result<Value, ApiError> {
    let pages = matches!(surface, Surface::OpenAi | Surface::Dated(Dated::Preview));
    let (limit, order) = if pages {
        (
            q.limit(10_000, 10_000)?,
            q.choice("order", &["asc", "desc"], "desc")?,
        )
    } else {
        (10_000, "desc")
    };
    let after = q.get("after").filter(|_| pages);
    let mut files: Vec<&FileRec> = state
        .files
        .iter()
        .filter(|f| q.get("purpose").is_none_or(|p| f.purpose == p))
        .collect();
    // Upload order breaks ties between files created in the same second.
    if order == "desc" {
        files.reverse();
    }
    let (items, has_more) = page(files, |f| f.id.as_str(), after, limit);
    let data: Vec<Value> = items.into_iter().map(|f| file_object(f, surface)).collect();
    if surface.is_dated() {
        return Ok(json!({"object": "list", "data": data}));
    }
    let mut body = list_body(data, has_more, true);
    // ListFilesResponse types first_id/last_id as plain strings (not nullable).
    for key in ["first_id", "last_id"] {
        if body[key].is_null() {
            body[key] = json!("");
        }
    }
    Ok(body)
}

pub fn retrieve(state: &State, surface: Surface, id: &str) -> Result<Value, ApiError> {
    state
        .file(id)
        .map(|f| file_object(f, surface))
        .ok_or_else(|| not_found(id))
}

pub fn delete(state: &mut State, id: &str) -> Result<Value, ApiError> {
    let i = state
        .files
        .iter()
        .position(|f| f.id == id)
        .ok_or_else(|| not_found(id))?;
    state.files.remove(i);
    Ok(json!({"id": id, "object": "file", "deleted": true}))
}

pub fn content(state: &State, id: &str) -> Result<String, ApiError> {
    state
        .file(id)
        .map(|f| f.content.clone())
        .ok_or_else(|| not_found(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_multipart_upload() {
        let body = b"--XX\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jsonl\"\r\nContent-Type: application/octet-stream\r\n\r\n{\"a\":1}\n\r\n--XX--\r\n";
        let parts = parse_multipart(body, "XX").expect("parses");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].filename.as_deref(), Some("a.jsonl"));
        assert_eq!(parts[1].data, b"{\"a\":1}\n");
        assert_eq!(
            boundary("multipart/form-data; boundary=\"XX\"").as_deref(),
            Some("XX")
        );
    }
}
