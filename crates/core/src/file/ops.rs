//! Training files: validated in the guest as they stream from the one file the host granted,
//! then uploaded (the host streams the bytes from disk, and stops if they are not the validated
//! ones) unless the same content is already there.

use std::time::Duration;

use serde::Deserialize;

use super::estimate::{self, Plan};
use super::validator::{Report, Validator};
use crate::api::create::{Create, CreatePolicy, Created, Origin};
use crate::api::page::{Pager, listed_by_id};
use crate::api::{self, retry::Policy};
use crate::error::{Error, HttpError, InputError, Result};
use crate::ids::FileId;
use crate::platform::{Body, Credential, FileError, FormField, Method, Platform, Request, Surface};
use crate::training_method::TrainingMethod;

/// How much the guest reads per call: large enough to keep calls few, small enough that a
/// 512 MB file validates in a few MiB of guest memory.
const CHUNK: u32 = 1 << 20;

/// Pages of 1,000 files the search for an upload follows at most.
const FIND_PAGES: u32 = 100;

/// How long Azure may take to process a file before it counts as stuck: it usually needs seconds
/// to minutes.
const PROCESSING_LIMIT_SECS: u64 = 3600;

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

listed_by_id!(FileObject);

/// Validates the granted file for `method` and counts its tokens; `name` is how the user called
/// it (for messages). Refuses a file over the plan's budget; prints a short summary on stderr.
pub fn validate(
    platform: &mut dyn Platform,
    method: TrainingMethod,
    name: &str,
    plan: &Plan,
) -> Result<Report> {
    if plan.counting.encoding.tokenizer().is_none() {
        return Err(Error::Failed(
            "this build of the component counts no tokens; run the file commands with the full \
             component (openai-ft component)"
                .into(),
        ));
    }
    let size = platform.file_size().map_err(|e| file_error(name, e))?;
    let mut validator = Validator::counting(method, plan.counting);
    let mut offset = 0u64;
    while offset < size {
        let chunk = platform
            .file_read(offset, CHUNK)
            .map_err(|e| file_error(name, e))?;
        if chunk.is_empty() {
            // Shorter than when it was opened: what was read is not the file any more.
            return Err(InputError::invalid(
                "path",
                name,
                format!(
                    "changed while it was read (it was {size} bytes, now it ends at {offset}); \
                     run again once nothing writes to it"
                ),
            )
            .into());
        }
        offset += chunk.len() as u64;
        validator.feed(&chunk);
    }
    let report = validator.finish();
    report.check("training file", name)?;
    let estimate = plan.check(&report.tokens)?;
    for line in estimate::summary(name, &report, plan, &estimate) {
        platform.progress(&line);
    }
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

/// The name the file is uploaded under: the user's file name with the full SHA-256 of its
/// content, `{stem}.{sha256}.jsonl`, so the same bytes are recognised later by name and size
/// (the Files API has no metadata to carry a hash otherwise).
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
    format!("{stem}.{sha256}.jsonl")
}

/// Finds an uploaded fine-tune file with this name and size (all pages, until it turns up).
pub fn find(platform: &mut dyn Platform, filename: &str, bytes: u64) -> Result<Option<FileObject>> {
    let usable =
        |f: &FileObject| !matches!(f.status.as_deref(), Some("error" | "deleted" | "deleting"));
    find_where(platform, |f| {
        f.filename == filename && f.bytes == bytes && usable(f)
    })
}

/// The first fine-tune file `wanted` accepts (all pages, until it turns up).
fn find_where(
    platform: &mut dyn Platform,
    wanted: impl Fn(&FileObject) -> bool,
) -> Result<Option<FileObject>> {
    Pager::get("/files", Credential::Project, 1000, FIND_PAGES)
        .query("purpose", "fine-tune")
        .find(platform, |files: Vec<FileObject>| {
            files.into_iter().find(|f| wanted(f))
        })
}

/// Waits until Azure has processed file `id` (only `processed` files can train), failing clearly
/// when processing ended in `error`.
pub fn wait_processed(platform: &mut dyn Platform, id: &str) -> Result<FileObject> {
    let request = Request::new(Method::Get, format!("/files/{id}"), Credential::Project);
    let mut pause = Duration::from_millis(250);
    let started = platform.now();
    loop {
        let file: FileObject = api::fetch(platform, &request, &Policy::SDK)?;
        match file.status.as_deref() {
            // Azure's specs say it never returns `uploaded`, kept "for compatibility" with
            // OpenAI, where it is a usable upload: whatever answers with it speaks OpenAI's
            // words, and waiting an hour for another would stall the upload for nothing.
            Some("processed" | "uploaded") | None => return Ok(file),
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
                if platform.now().saturating_sub(started) > PROCESSING_LIMIT_SECS {
                    return Err(Error::Failed(format!(
                        "file {id} is still {other} after an hour; check it in the Azure portal"
                    )));
                }
                platform.progress(&format!("waiting for Azure to process {id} ({other})"));
                platform.sleep(pause);
                pause = (pause * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Validates and uploads the granted file, or adopts an earlier upload of the same bytes.
pub fn upload(
    platform: &mut dyn Platform,
    method: TrainingMethod,
    path: &str,
    plan: &Plan,
) -> Result<(FileObject, Report, Origin)> {
    let report = validate(platform, method, path, plan)?;
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
    let mut fields = vec![FormField::Text {
        name: "purpose".into(),
        value: "fine-tune".into(),
    }];
    fields.extend(expiry(platform.surface()));
    fields.push(FormField::GrantedFile {
        name: "file".into(),
        filename: filename.clone(),
        sha256: report.sha256.clone(),
    });
    let mut request = Request::new(Method::Post, "/files", Credential::Project);
    request.body = Some(Body::Multipart(fields));
    let create = Create {
        request: &request,
        policy: CreatePolicy::PROJECT,
        what: "the file",
        pace: None,
    };
    match create.run(platform, |p| find(p, &filename, report.bytes)) {
        Ok(Created::Answered(response)) => Ok((api::decode(&request, &response)?, Origin::Created)),
        Ok(Created::Found(file)) => Ok((file, Origin::Adopted)),
        Err(Error::Http(HttpError::FileChanged(why))) => {
            Err(Error::Failed(discard_changed(platform, &filename, &why)))
        }
        Err(e) => Err(e),
    }
}

/// How long an upload asks to be kept, where it must say: 30 days, the longest every documented
/// range allows (OpenAI 1 hour to 30 days, Azure's dated preview 14 to 30 days; v1 gives none),
/// so a file outlives any queue and retry while its job is created and trains.
pub const UPLOAD_EXPIRY_SECS: u64 = 30 * 86_400;

/// The `expires_after` fields of an upload. Azure's v1 schema requires the object; it gives no
/// multipart encoding for it, so it goes in the bracket form OpenAI's SDKs send, which Microsoft's
/// v1 examples use. Elsewhere it is optional and left out (files are kept until deleted); 2024-10-21
/// does not define it.
fn expiry(surface: Surface) -> Vec<FormField> {
    if surface != Surface::AzureV1 {
        return Vec::new();
    }
    let text = |name: &str, value: String| FormField::Text {
        name: name.into(),
        value,
    };
    vec![
        text("expires_after[anchor]", "created_at".into()),
        text("expires_after[seconds]", UPLOAD_EXPIRY_SECS.to_string()),
    ]
}

/// How many files under the upload's name a changed upload deletes at most: a server keeps one
/// per attempt at worst.
const DISCARD_MAX: usize = 3;

/// After the host stopped an upload whose file changed, deletes whatever the server kept under
/// the upload's name (a careful server keeps nothing of an incomplete body; the name carries the
/// validated hash, and no file had it before the upload, so whatever has it now is this upload's)
/// and returns the one line the user sees.
fn discard_changed(platform: &mut dyn Platform, filename: &str, why: &str) -> String {
    let mut deleted = Vec::new();
    let mut line = format!("{why}; the upload was stopped before it completed");
    for _ in 0..DISCARD_MAX {
        let kept = match find_where(platform, |f| f.filename == filename) {
            Ok(Some(kept)) => kept,
            Ok(None) => break,
            Err(e) => {
                line.push_str(&format!(
                    " (whether the server kept part of it is unknown: {e}; look for {filename})"
                ));
                break;
            }
        };
        if let Err(e) = delete(platform, &kept.id) {
            line.push_str(&format!(
                " (the server kept part of it as {}, which could not be deleted: {e}; delete it \
                 by hand)",
                kept.id
            ));
            break;
        }
        deleted.push(kept.id);
    }
    if !deleted.is_empty() {
        line.push_str(&format!(
            " and the incomplete {} deleted",
            deleted.join(", ")
        ));
    }
    line.push_str("; run again to validate and upload its new content");
    line
}

/// Deletes file `id` (an id the API gave, checked before it goes into a path).
fn delete(platform: &mut dyn Platform, id: &str) -> Result<()> {
    let id = FileId::parse("id", id).map_err(|_| {
        Error::Failed(format!(
            "the API returned file id {}, which is not a plain id; is OPENAI_BASE_URL an \
             OpenAI-compatible API?",
            crate::error::quote(id)
        ))
    })?;
    let request = Request::new(Method::Delete, format!("/files/{id}"), Credential::Project);
    api::send(platform, &request, &Policy::SDK).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Fake, Fault, assert_pages_are_bounded};

    /// Ten valid supervised examples.
    fn training_file() -> Vec<u8> {
        r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}
"#
        .repeat(10)
        .into_bytes()
    }

    #[test]
    fn azure_waits_for_processed_but_not_for_a_state_it_never_returns() {
        let mut fake = Fake::flavored(crate::flavor::Flavor::Azure);
        fake.files
            .push(serde_json::json!({"id": "file-1", "status": "uploaded"}));
        assert_eq!(wait_processed(&mut fake, "file-1").unwrap().id, "file-1");
        assert_eq!(fake.count("GET"), 1);
        fake.files.push(
            serde_json::json!({"id": "file-2", "status": "error", "status_details": "bad line"}),
        );
        assert_eq!(
            wait_processed(&mut fake, "file-2").unwrap_err().to_string(),
            "file file-2 failed processing on Azure OpenAI: bad line; fix the file and upload it again"
        );
    }

    #[test]
    fn v1_uploads_carry_the_expiry_v1_requires() {
        for (surface, fields) in [
            (
                Surface::AzureV1,
                vec!["expires_after[anchor]", "expires_after[seconds]"],
            ),
            (Surface::OpenAi, vec![]),
            (
                Surface::AzureDated(crate::flavor::DatedApi::Preview),
                vec![],
            ),
        ] {
            let names: Vec<String> = expiry(surface)
                .into_iter()
                .map(|f| match f {
                    FormField::Text { name, value } => {
                        assert!(value == "created_at" || value == "2592000", "{value}");
                        name
                    }
                    FormField::GrantedFile { .. } => unreachable!("text fields only"),
                })
                .collect();
            assert_eq!(names, fields, "{surface:?}");
        }
    }

    #[test]
    fn upload_names_carry_the_whole_hash() {
        let sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assert_eq!(
            upload_name("data/train.jsonl", sha),
            format!("train.{sha}.jsonl")
        );
        assert_eq!(
            upload_name("my file!.txt", sha),
            format!("my_file_.txt.{sha}.jsonl")
        );
        assert_eq!(upload_name("/", sha), format!("training.{sha}.jsonl"));
    }

    #[test]
    fn an_upload_of_other_bytes_under_a_short_hash_is_not_reused() {
        // Names with 16 hex digits (older uploads, or other bytes that share a prefix) no
        // longer match: reuse is decided by the whole hash and the size.
        let mut fake = Fake::new();
        fake.file = Some(training_file());
        let report = validate(
            &mut fake,
            TrainingMethod::Supervised,
            "train.jsonl",
            &Plan::default(),
        )
        .unwrap();
        let short = format!("train.{}.jsonl", &report.sha256[..16]);
        fake.files.push(serde_json::json!({
            "id": "file-old", "filename": short, "bytes": report.bytes, "purpose": "fine-tune"
        }));
        let (file, _, origin) = upload(
            &mut fake,
            TrainingMethod::Supervised,
            "train.jsonl",
            &Plan::default(),
        )
        .unwrap();
        assert_eq!((file.id.as_str(), origin), ("file-001", Origin::Created));
    }

    #[test]
    fn the_validated_digest_goes_with_the_file_part() {
        let mut fake = Fake::new();
        fake.file = Some(training_file());
        let (_, report, _) = upload(
            &mut fake,
            TrainingMethod::Supervised,
            "train.jsonl",
            &Plan::default(),
        )
        .unwrap();
        assert_eq!(fake.uploaded_digests, [report.sha256]);
    }

    #[test]
    fn a_file_that_changed_is_not_uploaded_and_what_the_server_kept_is_deleted() {
        let mut fake = Fake::new().fault(Method::Post, "/files", Fault::FileChanged);
        fake.file = Some(training_file());
        let e = upload(
            &mut fake,
            TrainingMethod::Supervised,
            "train.jsonl",
            &Plan::default(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "train.jsonl changed after it was validated; the upload was stopped before it \
             completed and the incomplete file-001 deleted; run again to validate and upload \
             its new content"
        );
        assert!(fake.files.is_empty(), "{:?}", fake.files);
        assert_eq!(fake.count("POST files"), 1, "never sent again");
        assert_eq!(fake.count("DELETE file-001"), 1);
    }

    #[test]
    fn a_file_that_shrinks_while_it_is_validated_is_refused() {
        let mut fake = Fake::new();
        fake.file = Some(training_file());
        // The size says more than the reads deliver.
        fake.claimed_size = Some(10_000);
        let e = validate(
            &mut fake,
            TrainingMethod::Supervised,
            "train.jsonl",
            &Plan::default(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "invalid path \"train.jsonl\": changed while it was read (it was 10000 bytes, now \
                 it ends at {}); run again once nothing writes to it",
                training_file().len()
            )
        );
    }

    #[test]
    fn the_search_for_an_upload_is_bounded() {
        let setup = || {
            let mut fake = Fake::new();
            fake.files
                .push(serde_json::json!({"id": "file-1", "filename": "a.jsonl", "bytes": 1}));
            fake
        };
        assert_pages_are_bounded(setup, "GET /files", FIND_PAGES as usize, |fake| {
            find(fake, "train.0123456789abcdef.jsonl", 10)
        });
    }

    #[test]
    fn an_upload_committed_but_unanswered_is_adopted_not_repeated() {
        for fault in [Fault::CommitThenDrop, Fault::CommitThenTimeout] {
            let mut fake = Fake::new().fault(Method::Post, "/files", fault);
            fake.file = Some(training_file());
            let (file, report, origin) = upload(
                &mut fake,
                TrainingMethod::Supervised,
                "train.jsonl",
                &Plan::default(),
            )
            .unwrap();
            assert_eq!(origin, Origin::Adopted, "{fault:?}");
            assert_eq!(fake.files.len(), 1, "{fault:?}: one file stored");
            assert_eq!(file.id, "file-001");
            assert_eq!(file.filename, upload_name("train.jsonl", &report.sha256));
            assert_eq!(fake.count("POST files"), 1, "{fault:?}");
        }
    }
}
