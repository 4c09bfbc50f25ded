//! Training files: validated in the guest as they stream from the one file the host granted,
//! then uploaded (the host streams the bytes from disk) unless the same content is already there.

use serde::Deserialize;

use crate::api;
use crate::error::{Error, InputError, Result};
use crate::job_spec::TrainingMethod;
use crate::jobs::Origin;
use crate::platform::{Body, Credential, FileError, FormField, Method, Platform, Request};
use crate::retry::{self, Policy};
use crate::training_file::{Report, Validator};

/// How much the guest reads per call: large enough to keep calls few, small enough that a
/// 512 MB file validates in a few MiB of guest memory.
const CHUNK: u32 = 1 << 20;

/// Attempts at an upload whose failures may or may not have stored the file.
const UPLOAD_ATTEMPTS: u32 = 3;

/// A file object, as the API returns it.
#[derive(Debug, Clone, Deserialize)]
pub struct FileObject {
    pub id: String,
    #[serde(default)]
    pub bytes: u64,
    #[serde(default)]
    pub filename: String,
    #[serde(default)]
    pub purpose: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub status_details: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Page {
    data: Vec<FileObject>,
    #[serde(default)]
    has_more: bool,
}

/// Validates the granted file for `method`; `name` is how the user called it (for messages).
pub fn validate(platform: &mut dyn Platform, method: TrainingMethod, name: &str) -> Result<Report> {
    let size = platform.file_size().map_err(|e| file_error(name, e))?;
    let mut validator = Validator::new(method);
    let mut offset = 0u64;
    while offset < size {
        let chunk = platform
            .file_read(offset, CHUNK)
            .map_err(|e| file_error(name, e))?;
        if chunk.is_empty() {
            break;
        }
        offset += chunk.len() as u64;
        validator.feed(&chunk);
    }
    let report = validator.finish();
    report.check("training file", name)?;
    Ok(report)
}

fn file_error(name: &str, e: FileError) -> Error {
    match e {
        FileError::Denied(m) | FileError::Io(m) => Error::Input(InputError::invalid(
            "path",
            name,
            format!("cannot be read: {m}"),
        )),
    }
}

/// The name the file is uploaded under: the user's file name with a content hash, so the same
/// bytes are recognised later (the Files API has no metadata to carry a hash otherwise).
pub fn upload_name(path: &str, sha256: &str) -> String {
    let base = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let stem = base.strip_suffix(".jsonl").unwrap_or(base);
    let clean: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stem = if clean.is_empty() {
        "training".to_owned()
    } else {
        clean
    };
    format!("{stem}.{}.jsonl", &sha256[..16.min(sha256.len())])
}

/// Finds an uploaded fine-tune file with this name and size (all pages).
pub fn find(platform: &mut dyn Platform, filename: &str, bytes: u64) -> Result<Option<FileObject>> {
    let mut after: Option<String> = None;
    loop {
        let mut request = Request::new(Method::Get, "/files", Credential::Project)
            .query("purpose", "fine-tune")
            .query("limit", "1000");
        if let Some(a) = &after {
            request = request.query("after", a.clone());
        }
        let page: Page = api::fetch(platform, &request, &Policy::SDK)?;
        after = page.data.last().map(|f| f.id.clone());
        let usable =
            |f: &FileObject| !matches!(f.status.as_deref(), Some("error" | "deleted" | "deleting"));
        if let Some(found) = page
            .data
            .into_iter()
            .find(|f| f.filename == filename && f.bytes == bytes && usable(f))
        {
            return Ok(Some(found));
        }
        if !page.has_more || after.is_none() {
            return Ok(None);
        }
    }
}

/// Waits until Azure has processed file `id` (only `processed` files can train), failing clearly
/// when processing ended in `error`.
pub fn wait_processed(platform: &mut dyn Platform, id: &str) -> Result<FileObject> {
    let request = Request::new(Method::Get, format!("/files/{id}"), Credential::Project);
    let mut pause = std::time::Duration::from_millis(250);
    let started = platform.now();
    loop {
        let file: FileObject = api::fetch(platform, &request, &Policy::SDK)?;
        match file.status.as_deref() {
            Some("processed") | None => return Ok(file),
            Some("error") => {
                let details = file
                    .status_details
                    .clone()
                    .unwrap_or_else(|| "no details given".into());
                return Err(Error::Failed(format!(
                    "file {id} failed processing on Azure OpenAI: {details}; fix the file and upload it again"
                )));
            }
            Some("deleted" | "deleting") => {
                return Err(Error::Failed(format!(
                    "file {id} has been deleted; upload it again"
                )));
            }
            Some(other) => {
                // Azure usually needs seconds to minutes; an hour means something is stuck.
                if platform.now().saturating_sub(started) > 3600 {
                    return Err(Error::Failed(format!(
                        "file {id} is still {other} after an hour; check it in the Azure portal"
                    )));
                }
                platform.progress(&format!("waiting for Azure to process {id} ({other})"));
                platform.sleep(pause);
                pause = (pause * 2).min(std::time::Duration::from_secs(5));
            }
        }
    }
}

/// Validates and uploads the granted file, or adopts an earlier upload of the same bytes.
pub fn upload(
    platform: &mut dyn Platform,
    method: TrainingMethod,
    path: &str,
) -> Result<(FileObject, Report, Origin)> {
    let report = validate(platform, method, path)?;
    let (file, origin) = upload_validated(platform, path, &report)?;
    // On Azure a file can train only once processed; hand out an id that is ready.
    let file = if platform.flavor().processes_files() {
        wait_processed(platform, &file.id)?
    } else {
        file
    };
    Ok((file, report, origin))
}

fn upload_validated(
    platform: &mut dyn Platform,
    path: &str,
    report: &Report,
) -> Result<(FileObject, Origin)> {
    let filename = upload_name(path, &report.sha256);
    if let Some(file) = find(platform, &filename, report.bytes)? {
        return Ok((file, Origin::Adopted));
    }
    platform.progress(&format!(
        "uploading {path} as {filename} ({} bytes, {} examples)",
        report.bytes, report.examples
    ));
    let mut request = Request::new(Method::Post, "/files", Credential::Project);
    request.body = Some(Body::Multipart(vec![
        FormField::Text {
            name: "purpose".into(),
            value: "fine-tune".into(),
        },
        FormField::GrantedFile {
            name: "file".into(),
            filename: filename.clone(),
        },
    ]));
    let mut attempt = 0;
    loop {
        let failure = match api::send_once(platform, &request) {
            Ok(response) => {
                return Ok((api::decode(&request, &response)?, Origin::Created));
            }
            Err(e) => e,
        };
        attempt += 1;
        let retryable = match &failure {
            Error::Http(h) => h.may_have_committed(),
            Error::Api(a) => retry::retryable_status(a.status),
            _ => false,
        };
        if !retryable || attempt >= UPLOAD_ATTEMPTS {
            return Err(failure);
        }
        let delay = Policy::SDK.backoff(attempt - 1, platform.random());
        platform.progress(&format!(
            "uploading failed ({failure}); checking whether the file arrived before trying again in {:.1} s",
            delay.as_secs_f64()
        ));
        platform.sleep(delay);
        if let Some(file) = find(platform, &filename, report.bytes)? {
            return Ok((file, Origin::Adopted));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_names_carry_the_hash() {
        let sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assert_eq!(
            upload_name("data/train.jsonl", sha),
            "train.0123456789abcdef.jsonl"
        );
        assert_eq!(
            upload_name("my file!.txt", sha),
            "my_file_.txt.0123456789abcdef.jsonl"
        );
        assert_eq!(upload_name("/", sha), "training.0123456789abcdef.jsonl");
    }
}
