//! Fault injection over `/_emulator/faults`: injected statuses with retry headers (absurd ones
//! too), slow commits, resets, commit-then-drop, echoed credentials, endless lists, wildcard paths
//! and `times`, plus the request counters and log tests read.

use openai_ft_emulator::harness::*;
use serde_json::json;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Sends one raw HTTP/1.1 request and returns what the server sent back before closing.
fn raw(emu: &Emulator, method: &str, path: &str, body: &str) -> std::io::Result<Vec<u8>> {
    let mut s = TcpStream::connect(emu.running.addr())?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {PROJECT_KEY}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes())?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    Ok(out)
}

#[test]
fn status_429_carries_retry_headers_and_rate_limit_body() {
    let emu = Emulator::start(10);
    emu.fault(json!({"method": "GET", "path": "/v1/models", "fault": 429, "retry_after": 2, "retry_after_ms": 1500}));
    let r = emu.get("/v1/models");
    let e = r.error(429);
    assert_eq!(e["code"], "rate_limit_exceeded");
    assert_eq!(e["type"], "requests");
    assert_eq!(r.header("retry-after"), Some("2"));
    assert_eq!(r.header("retry-after-ms"), Some("1500"));
    // `times` defaults to 1: the next call is served.
    assert_eq!(emu.get("/v1/models").status, 200);
}

#[test]
fn server_error_statuses() {
    let emu = Emulator::start(10);
    for status in [500u16, 502, 503] {
        emu.fault(json!({"path": "/v1/files", "fault": status.to_string()}));
        let r = emu.get("/v1/files");
        assert_eq!(r.error(status)["type"], "server_error");
        assert!(r.header("retry-after").is_none());
    }
    assert_eq!(emu.get("/v1/files").status, 200);
}

#[test]
fn injected_status_does_not_apply_the_request() {
    let emu = Emulator::start(10);
    let file = emu.training_file(2);
    emu.fault(json!({"method": "POST", "path": "/v1/fine_tuning/jobs", "fault": 500}));
    let r = emu.post(
        "/v1/fine_tuning/jobs",
        &json!({"model": "gpt-4o-mini", "training_file": file}),
    );
    r.error(500);
    assert_eq!(emu.get("/v1/fine_tuning/jobs").ok()["data"], json!([]));
}

#[test]
fn delay_then_serve() {
    let emu = Emulator::start(10);
    emu.fault(json!({"path": "/v1/models", "fault": "delay", "delay_ms": 200}));
    let t = Instant::now();
    assert_eq!(emu.get("/v1/models").status, 200);
    assert!(t.elapsed() >= Duration::from_millis(200));
}

#[test]
fn a_delayed_request_is_applied_even_when_the_client_gave_up() {
    let emu = Emulator::start(600_000);
    let file = emu.training_file(2);
    emu.fault(json!({"method": "POST", "path": "/v1/fine_tuning/jobs", "fault": "delay", "delay_ms": 500}));
    let mut s = TcpStream::connect(emu.running.addr()).unwrap();
    let body = json!({"model": "gpt-4o-mini", "training_file": file}).to_string();
    let req = format!(
        "POST /v1/fine_tuning/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {PROJECT_KEY}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    // The client times out and hangs up before the answer; the server commits later anyway.
    std::thread::sleep(Duration::from_millis(100));
    drop(s);
    assert_eq!(emu.get("/v1/fine_tuning/jobs").ok()["data"], json!([]));
    let deadline = Instant::now() + Duration::from_secs(10);
    while emu.get("/v1/fine_tuning/jobs").ok()["data"] == json!([]) {
        assert!(Instant::now() < deadline, "the slow commit never landed");
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = emu.log();
    assert!(
        log.iter()
            .any(|e| e.method == "POST" && e.fault == Some("delay") && e.status == Some(200)),
        "{log:?}"
    );
}

#[test]
fn a_faulted_request_is_read_whole_before_it_is_answered() {
    // A large body the server does not need: a client still gets to send it all and then reads
    // the 429, instead of a broken pipe.
    let emu = Emulator::start(10);
    emu.fault(json!({"method": "POST", "path": "/v1/fine_tuning/jobs", "fault": 429}));
    let body = format!(
        r#"{{"model":"gpt-4o-mini","training_file":"file-x","pad":"{}"}}"#,
        "x".repeat(4 << 20)
    );
    let got =
        raw(&emu, "POST", "/v1/fine_tuning/jobs", &body).expect("an answer, not a broken pipe");
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.starts_with("HTTP/1.1 429"),
        "{}",
        &text[..text.len().min(200)]
    );
}

#[test]
fn absurd_retry_hints_are_sent_as_given() {
    let emu = Emulator::start(10);
    emu.fault(json!({"path": "/v1/models", "fault": 429, "retry_after": "1e300", "retry_after_ms": "1e300"}));
    let r = emu.get("/v1/models");
    r.error(429);
    assert_eq!(r.header("retry-after"), Some("1e300"));
    assert_eq!(r.header("retry-after-ms"), Some("1e300"));
}

#[test]
fn an_echoing_server_repeats_the_credential() {
    let emu = Emulator::start(10);
    emu.fault(json!({"path": "/v1/models", "fault": "echo"}));
    let r = emu.get("/v1/models");
    let message = r.error(400)["message"].as_str().unwrap().to_owned();
    assert_eq!(
        message,
        format!(
            "Incorrect credential provided: Bearer {PROJECT_KEY}. (Echoed by openai-ft-emulator.)"
        )
    );
    emu.fault(json!({"path": "/v1/models", "fault": "echo", "echo_into": "raw", "status": 502}));
    let r = emu.get("/v1/models");
    assert_eq!(r.status, 502);
    assert_eq!(
        r.body,
        json!(format!(
            "request refused: credential Bearer {PROJECT_KEY} is not accepted here"
        ))
    );
    let job = emu.succeeded_job(1);
    let id = job["id"].as_str().unwrap();
    emu.fault(json!({"path": format!("/v1/fine_tuning/jobs/{id}/events"), "fault": "echo", "echo_into": "messages"}));
    let events = emu
        .get(&format!("/v1/fine_tuning/jobs/{id}/events"))
        .ok()
        .clone();
    let suffix = format!(" [you sent: Bearer {PROJECT_KEY}]");
    let messages: Vec<&str> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(
        !messages.is_empty() && messages.iter().all(|m| m.ends_with(&suffix)),
        "{messages:?}"
    );
    // Only the answer changed, not the state.
    let events = emu
        .get(&format!("/v1/fine_tuning/jobs/{id}/events"))
        .ok()
        .clone();
    assert!(!events.to_string().contains(PROJECT_KEY));
}

#[test]
fn endless_lists_never_stop_saying_has_more() {
    let emu = Emulator::start(10);
    emu.training_file(2);
    emu.fault(
        json!({"path": "/v1/files", "fault": "endless_pages", "cursor": "stuck", "times": 2}),
    );
    let first = emu.get("/v1/files").ok().clone();
    let id = first["data"][0]["id"].as_str().unwrap().to_owned();
    let again = emu.get(&format!("/v1/files?after={id}")).ok().clone();
    assert_eq!(
        (first["has_more"].clone(), again["has_more"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(
        again["data"][0]["id"],
        id.as_str(),
        "the cursor goes nowhere"
    );

    emu.fault(
        json!({"path": "/v1/files", "fault": "endless_pages", "cursor": "fresh", "times": 2}),
    );
    let a = emu.get("/v1/files").ok().clone();
    let b = emu.get("/v1/files").ok().clone();
    assert_eq!(a["has_more"], true);
    assert_ne!(a["data"][0]["id"], b["data"][0]["id"], "new ids every page");
    assert!(
        a["data"][0]["id"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{id}-endless"))
    );
    // Lists with first_id/last_id keep them in step.
    let job = emu.succeeded_job(1);
    let ckpt = job["fine_tuned_model"].as_str().unwrap();
    let admin = |method: &str, body: Option<&serde_json::Value>| {
        emu.call(
            method,
            &format!("/v1/fine_tuning/checkpoints/{ckpt}/permissions"),
            &[("Authorization", &format!("Bearer {ADMIN_KEY}"))],
            body,
        )
    };
    admin("POST", Some(&json!({"project_ids": ["proj_a"]}))).ok();
    emu.fault(
        json!({"path": format!("/v1/fine_tuning/checkpoints/{ckpt}/permissions"),
                     "fault": "endless_pages", "cursor": "fresh"}),
    );
    let page = admin("GET", None).ok().clone();
    assert_eq!(page["last_id"], page["data"][0]["id"]);
    assert!(page["last_id"].as_str().unwrap().contains("-endless"));
}

#[test]
fn reset_closes_with_rst_before_applying() {
    let emu = Emulator::start(10);
    let file = emu.training_file(2);
    emu.fault(json!({"method": "POST", "path": "/v1/fine_tuning/*", "fault": "reset"}));
    let body = json!({"model": "gpt-4o-mini", "training_file": file}).to_string();
    let err = raw(&emu, "POST", "/v1/fine_tuning/jobs", &body).expect_err("connection is reset");
    assert_eq!(err.kind(), ErrorKind::ConnectionReset);
    assert_eq!(emu.get("/v1/fine_tuning/jobs").ok()["data"], json!([]));
    let log = emu.get_as(None, "/_emulator/requests/log").ok().clone();
    assert_eq!(
        log[1],
        json!({"method": "POST", "path": "/v1/fine_tuning/jobs", "query": null, "status": null, "fault": "reset"})
    );
}

#[test]
fn commit_then_drop_applies_and_sends_nothing() {
    let emu = Emulator::start(10);
    let file = emu.training_file(2);
    emu.fault(json!({"method": "POST", "path": "/v1/fine_tuning/jobs", "fault": "commit_then_drop", "times": 2}));
    let body = json!({"model": "gpt-4o-mini", "training_file": file}).to_string();
    for _ in 0..2 {
        let got = raw(&emu, "POST", "/v1/fine_tuning/jobs", &body).unwrap_or_default();
        assert!(
            got.is_empty(),
            "got a response: {}",
            String::from_utf8_lossy(&got)
        );
    }
    // Both creates were applied: a client that retried blindly now has duplicates.
    let jobs = emu.get("/v1/fine_tuning/jobs").ok().clone();
    assert_eq!(jobs["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(emu.counts()["POST /v1/fine_tuning/jobs"], 2);
    emu.post(
        "/v1/fine_tuning/jobs",
        &json!({"model": "gpt-4o-mini", "training_file": file}),
    )
    .ok();
}

#[test]
fn commit_then_500_applies_and_answers_a_server_error() {
    let emu = Emulator::start(10);
    let file = emu.training_file(2);
    emu.fault(
        json!({"method": "POST", "path": "/v1/fine_tuning/jobs", "fault": "commit_then_500"}),
    );
    let r = emu.post(
        "/v1/fine_tuning/jobs",
        &json!({"model": "gpt-4o-mini", "training_file": file}),
    );
    assert_eq!(r.error(500)["type"], "server_error");
    // The job was stored all the same.
    let jobs = emu.get("/v1/fine_tuning/jobs").ok().clone();
    assert_eq!(jobs["data"].as_array().map(Vec::len), Some(1));
    let log = emu.log();
    assert_eq!(
        (log[log.len() - 2].status, log[log.len() - 2].fault),
        (Some(500), Some("commit_then_500"))
    );
}

#[test]
fn wildcard_times_and_clear() {
    let emu = Emulator::start(10);
    emu.fault(json!({"path": "/v1/*", "fault": 503, "times": 3}));
    assert_eq!(emu.get("/v1/models").status, 503);
    assert_eq!(emu.get("/v1/files").status, 503);
    let listed = emu.get_as(None, "/_emulator/faults").ok().clone();
    assert_eq!(listed["faults"][0]["times"], 1);
    emu.delete_as(None, "/_emulator/faults").ok();
    assert_eq!(emu.get("/v1/models").status, 200);
}

#[test]
fn requests_are_counted_by_method_and_path_but_control_calls_are_not() {
    let emu = Emulator::start(10);
    emu.fault(json!({"path": "/v1/models", "fault": 500}));
    emu.get("/v1/models");
    emu.get("/v1/models");
    emu.get_as(None, "/v1/files");
    emu.get("/v1/files?limit=1");
    assert_eq!(
        emu.counts(),
        json!({"GET /v1/models": 2, "GET /v1/files": 2})
    );
    let log = emu.get_as(None, "/_emulator/requests/log").ok().clone();
    let statuses: Vec<_> = log
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["status"].clone())
        .collect();
    assert_eq!(
        statuses,
        vec![json!(500), json!(200), json!(401), json!(200)]
    );
    assert_eq!(log[3]["query"], "limit=1");
    assert_eq!(emu.running.requests().get("GET /v1/models"), Some(&2));
}

#[test]
fn bad_fault_rules_are_refused() {
    let emu = Emulator::start(10);
    let r = emu.control_post(
        "/_emulator/faults",
        &json!({"path": "/v1/models", "fault": "explode"}),
    );
    assert_eq!(
        r.error(400)["message"],
        "invalid fault \"explode\": must be commit_then_drop, commit_then_500, reset, delay, echo, endless_pages or an HTTP status 400-599"
    );
    let r = emu.control_post("/_emulator/faults", &json!({"fault": 429, "bogus": 1}));
    assert_eq!(
        r.error(400)["message"],
        "unknown field \"bogus\" in fault rule"
    );
}

#[test]
fn reset_endpoint_clears_state() {
    let emu = Emulator::start(10);
    emu.training_file(1);
    emu.control_post("/_emulator/reset", &json!({})).ok();
    assert_eq!(emu.get("/v1/files").ok()["data"], json!([]));
    assert_eq!(emu.counts(), json!({"GET /v1/files": 1}));
}
