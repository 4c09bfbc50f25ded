//! The Terraform protocol: one JSON object of strings in (stdin or OPENAI_FT_INPUT), one out, and
//! every other input shape refused with one line, exit status 1 and nothing on stdout.

use crate::util::*;
use serde_json::json;

fn refused(stdin: &[u8]) -> String {
    openai_ft(&["job", "read"])
        .env("OPENAI_API_KEY", PROJECT_KEY)
        .stdin(stdin.to_vec())
        .run()
        .only_error()
}

#[test]
fn input_shapes_other_than_an_object_of_strings_are_refused() {
    let cases: &[(&[u8], &str)] = &[
        (
            br#"["ftjob-1"]"#,
            "invalid input on stdin: expected a JSON object of strings, got an array",
        ),
        (
            br#""ftjob-1""#,
            "invalid input on stdin: expected a JSON object of strings, got a string",
        ),
        (
            br#"{"id": {"nested": "x"}}"#,
            r#"invalid input "id" on stdin: expected a string, got an object; pass structured values through jsonencode() and numbers as strings"#,
        ),
        (
            br#"{"id": 12}"#,
            r#"invalid input "id" on stdin: expected a string, got a number; pass structured values through jsonencode() and numbers as strings"#,
        ),
        (
            br#"{"id": true}"#,
            r#"invalid input "id" on stdin: expected a string, got a boolean; pass structured values through jsonencode() and numbers as strings"#,
        ),
        (
            b"{\"id\": \"\xff\"}",
            "invalid input on stdin: not UTF-8 (byte 8); send one JSON object of strings",
        ),
        (
            br#"{"id": "ftjob-1"} {"id": "ftjob-2"}"#,
            "invalid input on stdin: trailing characters at line 1 column 19; send exactly one JSON object of strings",
        ),
        (
            br#"{"id": "ftjob-1""#,
            "invalid input on stdin: EOF while parsing an object at line 1 column 16; send exactly one JSON object of strings",
        ),
        (
            b"",
            r#"no input on stdin: send one JSON object of strings, for example {"id": "ftjob-abc123"}"#,
        ),
    ];
    for (stdin, message) in cases {
        assert_eq!(
            refused(stdin),
            *message,
            "input {:?}",
            String::from_utf8_lossy(stdin)
        );
    }
}

#[test]
fn unknown_keys_are_refused_by_name() {
    let line = openai_ft(&["job", "read"])
        .env("OPENAI_API_KEY", PROJECT_KEY)
        .input(json!({"id": "ftjob-1", "idd": "x"}))
        .run()
        .only_error();
    assert_eq!(
        line,
        r#"invalid input "idd": unknown key; expected one of: id, idempotency_key, model, training_file, validation_file, suffix, training_method, hyperparameters, grader, seed, metadata, integrations, training_type, cancel_after_timeout, checkpoints, shutdown_dates, if_missing, output"#
    );
}

#[test]
fn null_means_absent() {
    let line = openai_ft(&["job", "read"])
        .env("OPENAI_API_KEY", PROJECT_KEY)
        .input(json!({"id": null}))
        .run()
        .only_error();
    assert_eq!(
        line,
        "missing id: set id (ftjob-...), idempotency_key (from job ensure), or the job request itself (model, training_file, ...)"
    );
}

#[test]
fn local_exec_input_comes_from_the_environment() {
    let emulator = Emulator::start(20);
    let line = openai_ft(&["job", "read"])
        .against(&emulator)
        .env("OPENAI_FT_INPUT", r#"{"id": "ftjob-doesnotexist"}"#)
        .run()
        .error();
    assert!(line.starts_with("api error 404"), "{line}");
    assert_eq!(
        emulator.count("GET /v1/fine_tuning/jobs/ftjob-doesnotexist"),
        1
    );
    let line = openai_ft(&["job", "read"])
        .env("OPENAI_FT_INPUT", "[]")
        .run()
        .only_error();
    assert_eq!(
        line,
        "invalid input on OPENAI_FT_INPUT: expected a JSON object of strings, got an array"
    );
}

#[test]
fn unknown_commands_are_refused() {
    let line = openai_ft(&["job", "explode"])
        .env("OPENAI_API_KEY", PROJECT_KEY)
        .input(json!({}))
        .run()
        .only_error();
    assert!(
        line.starts_with(r#"unknown command "job explode": expected one of: job ensure, job read"#),
        "{line}"
    );
}

#[test]
fn an_oversized_input_is_refused_on_stdin_and_in_the_environment() {
    let big = json!({"id": "x".repeat(2 << 20)}).to_string();
    let expected = |source: &str| {
        format!(
            "invalid input on {source}: larger than 1 MiB; send one JSON object of the command's \
             inputs (a training file goes in by its path)"
        )
    };
    assert_eq!(refused(big.as_bytes()), expected("stdin"));
    // Many keys in a small object. (Linux caps one environment variable at 128 KiB, so only the
    // key count can be tried through OPENAI_FT_INPUT here.)
    let many: serde_json::Map<String, serde_json::Value> =
        (0..300).map(|i| (format!("k{i}"), json!(""))).collect();
    let many = serde_json::Value::Object(many).to_string();
    let too_many = |source: &str| {
        format!(
            "invalid input on {source}: 300 keys, more than the 256 accepted; send only the \
             command's inputs (openai-ft <noun> --help lists them)"
        )
    };
    assert_eq!(refused(many.as_bytes()), too_many("stdin"));
    let line = openai_ft(&["job", "read"])
        .env("OPENAI_API_KEY", PROJECT_KEY)
        .env("OPENAI_FT_INPUT", &many)
        .run()
        .only_error();
    assert_eq!(line, too_many("OPENAI_FT_INPUT"));
}
