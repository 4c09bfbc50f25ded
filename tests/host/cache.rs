//! The answer cache (the WIT's `cache-hint`, HOST.md section 2 item 9): the processes of one
//! plan read the model list once between them, in sequence and in parallel, per endpoint and
//! organisation; `off` keeps nothing; and what is kept holds no key and names nothing.

use serde_json::json;

use crate::util::*;

const MODEL: &str = "gpt-4o-mini-2024-07-18";

fn check(emulator: &Emulator, cache: &str) -> Cmd {
    openai_ft(&["job", "check"])
        .against(emulator)
        .env("OPENAI_FT_CACHE_DIR", cache)
        .input(json!({"model": MODEL}))
}

#[test]
fn processes_share_one_read_of_the_model_list() {
    let emulator = Emulator::start(20);
    let dir = scratch_dir("cache-shared");
    let cache = dir.to_string_lossy().into_owned();
    for _ in 0..3 {
        assert_eq!(check(&emulator, &cache).run().json()["model"], MODEL);
    }
    assert_eq!(emulator.count("GET /v1/models"), 1);

    // Another organisation is another scope: its own read.
    let other = check(&emulator, &cache)
        .env("OPENAI_ORG_ID", "org-other")
        .run();
    other.json();
    assert_eq!(emulator.count("GET /v1/models"), 2);

    // Nothing kept names a model, a URL or a key.
    for entry in std::fs::read_dir(&dir).expect("the cache folder") {
        let entry = entry.expect("an entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        let hex = name.trim_end_matches(".lock");
        assert!(
            hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()),
            "{name}"
        );
        let text =
            String::from_utf8_lossy(&std::fs::read(entry.path()).expect("readable")).into_owned();
        for key in ALL_KEYS {
            assert!(!text.contains(key), "{name} holds a key");
        }
    }
}

#[test]
fn parallel_processes_wait_for_the_one_that_reads() {
    let emulator = Emulator::start(20);
    // Every answer takes 300 ms, so the processes overlap: one reads, the others wait for it.
    emulator
        .fault(json!({"method": "GET", "path": "/v1/models", "fault": "delay", "delay_ms": 300}));
    let dir = scratch_dir("cache-parallel");
    let cache = dir.to_string_lossy().into_owned();
    let running: Vec<Running> = (0..12).map(|_| check(&emulator, &cache).spawn()).collect();
    for run in running {
        assert_eq!(run.wait().json()["model"], MODEL);
    }
    assert_eq!(emulator.count("GET /v1/models"), 1);
}

#[test]
fn off_keeps_nothing_and_a_failed_read_is_not_kept() {
    let emulator = Emulator::start(20);
    for _ in 0..2 {
        check(&emulator, "off").run().json();
    }
    assert_eq!(emulator.count("GET /v1/models"), 2);

    let dir = scratch_dir("cache-failure");
    let cache = dir.to_string_lossy().into_owned();
    // A refused list is not kept: the model is read on its own, and the next process asks for
    // the list again, which it then keeps for the one after.
    emulator.fault(json!({"method": "GET", "path": "/v1/models", "fault": 404}));
    for _ in 0..3 {
        check(&emulator, &cache).run().json();
    }
    assert_eq!(emulator.count("GET /v1/models"), 4);
    assert_eq!(emulator.count(&format!("GET /v1/models/{MODEL}")), 1);
}
