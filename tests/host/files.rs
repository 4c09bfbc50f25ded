//! `file validate` and `file upload`: local validation with line numbers before any upload,
//! upload idempotent by content, and read access to the one named file only.

use crate::util::*;
use serde_json::json;

#[test]
fn validate_counts_examples_without_network() {
    let out = openai_ft(&["file", "validate"])
        .input(json!({"path": data("supervised.jsonl")}))
        .run()
        .json();
    assert_eq!(out["examples"], "12");
    assert_eq!(out["training_method"], "supervised");
    assert_eq!(out["sha256"].len(), 64);
    assert!(out["estimated_tokens"].parse::<u64>().unwrap() > 0);
}

#[test]
fn every_problem_is_reported_with_its_line() {
    let line = openai_ft(&["file", "validate"])
        .input(json!({"path": data("supervised_broken.jsonl")}))
        .run()
        .only_error();
    let path = data("supervised_broken.jsonl");
    assert_eq!(
        line,
        format!(
            "invalid training file {path:?}: 3 problems: line 3: no assistant message; a supervised \
             example needs at least one assistant reply to learn from; line 6: not valid JSON \
             (expected ident at column 2); line 8: missing \"messages\""
        )
    );
}

#[test]
fn the_method_decides_the_format() {
    for (file, method) in [
        ("dpo.jsonl", "dpo"),
        ("reinforcement.jsonl", "reinforcement"),
    ] {
        let out = openai_ft(&["file", "validate"])
            .input(json!({"path": data(file), "training_method": method}))
            .run()
            .json();
        assert_eq!(out["examples"], "12");
    }
    let line = openai_ft(&["file", "validate"])
        .input(json!({"path": data("dpo.jsonl")}))
        .run()
        .only_error();
    assert!(
        // Each line, and the file: none of its 12 examples is valid.
        line.contains("13 problems: line 1: missing \"messages\""),
        "{line}"
    );
}

#[test]
fn a_missing_file_names_the_path() {
    let line = openai_ft(&["file", "validate"])
        .input(json!({"path": "no/such.jsonl"}))
        .run()
        .only_error();
    assert_eq!(
        line,
        "invalid path \"no/such.jsonl\": cannot be read (No such file or directory (os error 2)); set path to a readable local JSONL file"
    );
}

#[test]
fn upload_is_idempotent_by_content() {
    let emulator = Emulator::start(20);
    let first = openai_ft(&["file", "upload"])
        .against(&emulator)
        .input(json!({"path": data("supervised.jsonl")}))
        .run()
        .json();
    assert!(first["id"].starts_with("file-"));
    assert!(first["filename"].starts_with("supervised.") && first["filename"].ends_with(".jsonl"));
    let second = openai_ft(&["file", "upload"])
        .against(&emulator)
        .input(json!({"path": data("supervised.jsonl")}))
        .run();
    assert_eq!(second.json()["id"], first["id"]);
    assert!(
        second.stderr.contains("is already uploaded"),
        "{}",
        second.stderr
    );
    assert_eq!(emulator.count("POST /v1/files"), 1);
    // The bytes arrived intact.
    let file = emulator.api("GET", &format!("/files/{}", first["id"]), None);
    assert_eq!(
        file["bytes"].as_u64().unwrap(),
        first["bytes"].parse::<u64>().unwrap()
    );
    assert_eq!(file["purpose"], "fine-tune");
}

#[test]
fn an_invalid_file_is_never_uploaded() {
    let emulator = Emulator::start(20);
    openai_ft(&["file", "upload"])
        .against(&emulator)
        .input(json!({"path": data("supervised_broken.jsonl")}))
        .run()
        .only_error();
    assert!(emulator.log().is_empty());
}

#[test]
fn a_dropped_upload_is_found_not_repeated() {
    let emulator = Emulator::start(20);
    emulator.fault(json!({"method": "POST", "path": "/v1/files", "fault": "commit_then_drop"}));
    let out = openai_ft(&["file", "upload"])
        .against(&emulator)
        .input(json!({"path": data("supervised.jsonl")}))
        .run();
    out.json();
    assert_eq!(emulator.count("POST /v1/files"), 1);
    let files = emulator.api("GET", "/files?purpose=fine-tune", None);
    assert_eq!(files["data"].as_array().unwrap().len(), 1);
}

#[test]
fn a_large_file_validates_and_uploads_within_a_small_memory_cap() {
    // About 40 MB of valid examples: more than the 32 MiB the guest may use (the tokenizer's
    // ranks take most of it), so this passes only because the guest streams the file and the
    // host streams the upload. Prose, not one long word: BPE on a 400-letter word is slow.
    let dir = std::env::temp_dir().join(format!("openai-ft-large-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("large.jsonl");
    let row = serde_json::json!({"messages": [
        {"role": "user", "content": "the quick brown fox jumps over the lazy dog ".repeat(9)},
        {"role": "assistant", "content": "a lazy dog sleeps in the sun all day long ".repeat(9)},
    ]})
    .to_string();
    let mut content = String::with_capacity(41 << 20);
    while content.len() < 40 << 20 {
        content.push_str(&row);
        content.push('\n');
    }
    std::fs::write(&path, &content).unwrap();
    let examples = content.lines().count().to_string();
    let path = path.to_str().unwrap().to_owned();

    let out = openai_ft(&["file", "validate"])
        .env("OPENAI_FT_MEMORY_LIMIT_MIB", "32")
        .input(json!({"path": path}))
        .run()
        .json();
    assert_eq!(out["examples"], examples);
    assert_eq!(out["bytes"], content.len().to_string());

    let emulator = Emulator::start(20);
    let up = openai_ft(&["file", "upload"])
        .against(&emulator)
        .env("OPENAI_FT_MEMORY_LIMIT_MIB", "32")
        .input(json!({"path": path}))
        .run()
        .json();
    let file = emulator.api("GET", &format!("/files/{}", up["id"]), None);
    assert_eq!(file["bytes"].as_u64().unwrap(), content.len() as u64);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_transient_failure_of_the_upload_sends_the_whole_file_again() {
    // The modules pass the file by a path relative to their folder, as here.
    let dir = format!("{}/../tests/data", env!("CARGO_MANIFEST_DIR"));
    for fault in [
        json!({"fault": 500}),
        json!({"fault": 503}),
        json!({"fault": 429}),
        json!({"fault": "reset"}),
    ] {
        let emulator = Emulator::start(20);
        let mut rule = fault.clone();
        rule["method"] = json!("POST");
        rule["path"] = json!("/v1/files");
        emulator.fault(rule);
        let out = openai_ft(&["file", "upload"])
            .against(&emulator)
            .current_dir(&dir)
            .input(json!({"path": "supervised.jsonl"}))
            .deadline(std::time::Duration::from_secs(60))
            .run()
            .json();
        assert_eq!(emulator.count("POST /v1/files"), 2, "{fault}");
        let files = emulator.api("GET", "/files?purpose=fine-tune", None);
        assert_eq!(files["data"].as_array().unwrap().len(), 1, "{fault}");
        // Every byte, from the first, on the attempt that landed.
        let content = emulator.get(&format!("/v1/files/{}/content", out["id"]));
        assert_eq!(
            content.body,
            serde_json::Value::String(SUPERVISED.into()),
            "{fault}"
        );
    }
}

/// Starts `file upload` of a copy of the supervised file, waits until it has validated the file
/// and is looking for an earlier upload (held there 2 s by the emulator), lets `change` edit the
/// file, and returns the outcome, the path and the emulator. `name` names the test's own folder:
/// the tests run at once, and one folder for both would let each edit the other's file.
fn upload_changed_meanwhile(
    name: &str,
    change: impl FnOnce(&std::path::Path),
) -> (Outcome, String, Emulator) {
    let dir = scratch_dir(&format!("{name}-{}", std::process::id()));
    let path = dir.join("train.jsonl");
    std::fs::write(&path, SUPERVISED).unwrap();
    let emulator = Emulator::start(20);
    emulator
        .fault(json!({"method": "GET", "path": "/v1/files", "fault": "delay", "delay_ms": 2000}));
    let running = openai_ft(&["file", "upload"])
        .against(&emulator)
        .input(json!({"path": path.to_str().unwrap()}))
        .spawn();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while emulator.count("GET /v1/files") == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the upload never looked for its file"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    change(&path);
    let out = running.wait();
    let shown = path.to_str().unwrap().to_owned();
    (out, shown, emulator)
}

fn stored_files(emulator: &Emulator) -> usize {
    let files = emulator.api("GET", "/files?purpose=fine-tune", None);
    files["data"].as_array().unwrap().len()
}

#[test]
fn a_file_that_shrinks_before_its_upload_fails_with_one_line_and_uploads_nothing() {
    let (out, path, emulator) =
        upload_changed_meanwhile("shrinks", |p| std::fs::write(p, "{}\n").unwrap());
    assert_eq!(
        out.error(),
        format!(
            "{path} changed after it was validated (it ends at byte 3, not at the {} validated); \
             the upload was stopped before it completed; run again to validate and upload its \
             new content",
            SUPERVISED.len()
        )
    );
    assert_eq!(stored_files(&emulator), 0);
}

#[test]
fn a_file_changed_to_other_bytes_of_the_same_size_is_never_uploaded() {
    let other = SUPERVISED.replacen("a", "b", 1);
    assert_eq!(other.len(), SUPERVISED.len());
    let (out, path, emulator) =
        upload_changed_meanwhile("same-size", |p| std::fs::write(p, &other).unwrap());
    let line = out.error();
    assert!(
        line.starts_with(&format!(
            "{path} changed after it was validated (its SHA-256 is "
        )),
        "{line}"
    );
    assert!(
        line.ends_with(
            "validated); the upload was stopped before it completed; run again to validate and \
             upload its new content"
        ),
        "{line}"
    );
    assert_eq!(
        stored_files(&emulator),
        0,
        "no file, whole or partial, was kept"
    );
    assert_eq!(emulator.count("POST /v1/files"), 1, "not sent again");
}

#[test]
fn uploads_are_named_by_the_whole_hash() {
    let emulator = Emulator::start(20);
    let out = openai_ft(&["file", "upload"])
        .against(&emulator)
        .input(json!({"path": data("supervised.jsonl")}))
        .run()
        .json();
    assert_eq!(
        out["filename"],
        format!("supervised.{}.jsonl", out["sha256"])
    );
}

#[test]
fn a_fifo_is_refused_at_once_instead_of_blocking() {
    let dir = scratch_dir(&format!("fifo-{}", std::process::id()));
    let fifo = dir.join("train.jsonl");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let path = fifo.to_str().unwrap();
    let line = openai_ft(&["file", "validate"])
        .input(json!({"path": path}))
        .deadline(std::time::Duration::from_secs(20))
        .run()
        .only_error();
    assert_eq!(
        line,
        format!(
            "invalid path {path:?}: cannot read {path}: not a regular file; set path to a \
             readable local JSONL file"
        )
    );
}
