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
