//! The Files API: multipart upload and its refusals, retrieve, content, delete and 404s.

use openai_ft_emulator::harness::*;
use serde_json::json;

#[test]
fn upload_retrieve_content_delete() {
    let emu = Emulator::start(10);
    // Two rows, so the harness cannot mistake the raw content for one JSON document.
    let row = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"yo\"}]}\n";
    let content = &row.repeat(2);
    let f = emu.upload_file("data.jsonl", content);
    let id = f["id"].as_str().expect("id");
    assert!(id.starts_with("file-"));
    assert_eq!(f["object"], "file");
    assert_eq!(f["bytes"], content.len());
    assert_eq!(f["filename"], "data.jsonl");
    assert_eq!(f["purpose"], "fine-tune");
    assert_eq!(f["status"], "processed");
    assert!(f.get("expires_at").is_none());

    assert_eq!(emu.get(&format!("/v1/files/{id}")).ok(), &f);
    let raw = emu.get(&format!("/v1/files/{id}/content"));
    assert_eq!(raw.ok(), &json!(content));
    assert_eq!(raw.header("content-type"), Some("application/octet-stream"));

    assert_eq!(
        emu.delete_as(Some(PROJECT_KEY), &format!("/v1/files/{id}"))
            .ok(),
        &json!({"id": id, "object": "file", "deleted": true})
    );
    for path in [format!("/v1/files/{id}"), format!("/v1/files/{id}/content")] {
        let e = emu.get(&path).error(404).clone();
        assert_eq!(e["message"], format!("No such File object: {id}"));
        assert_eq!(e["param"], "id");
    }
    emu.delete_as(Some(PROJECT_KEY), &format!("/v1/files/{id}"))
        .error(404);
}

#[test]
fn upload_refusals_name_the_parameter() {
    let emu = Emulator::start(10);
    let e = emu
        .upload_as(Some(PROJECT_KEY), "a.jsonl", "training", "{}")
        .error(400)
        .clone();
    assert_eq!(
        (e["param"].as_str(), e["code"].as_str()),
        (Some("purpose"), Some("invalid_value"))
    );
    let e = emu
        .upload_as(Some(PROJECT_KEY), "a.csv", "fine-tune", "{}")
        .error(400)
        .clone();
    assert_eq!(e["param"], "file");
    assert_eq!(
        e["message"],
        "Invalid file format for Fine-Tuning API. Must be .jsonl (got 'a.csv')."
    );
    let e = emu
        .post("/v1/files", &json!({"purpose": "fine-tune"}))
        .error(400)
        .clone();
    assert!(
        e["message"]
            .as_str()
            .unwrap_or("")
            .contains("multipart/form-data")
    );
}

#[test]
fn other_purposes_are_kept_and_filterable() {
    let emu = Emulator::start(10);
    emu.upload_as(Some(PROJECT_KEY), "doc.txt", "assistants", "hello")
        .ok();
    emu.training_file(1);
    let listed = emu.get("/v1/files?purpose=assistants").ok().clone();
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed["data"][0]["filename"], "doc.txt");
}
