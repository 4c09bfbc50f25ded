//! The sandbox: a runaway guest is stopped by the memory cap and the CPU bound with one clear
//! line, the guest sees nothing of the host's environment, and the component the binary runs
//! (which has no runaway code) can be written out for other hosts. The hostile guest is the test
//! component, run by the test-only host (`host/examples/openai-ft-test-host.rs`) in the same
//! sandbox the binary uses.

use crate::util::*;

#[test]
fn a_guest_that_allocates_without_end_is_stopped() {
    let out = test_host(&["selftest", "memory"])
        .env("OPENAI_FT_MEMORY_LIMIT_MIB", "32")
        .stdin("{}")
        .run();
    assert_eq!(
        out.only_error(),
        "the component exceeded its memory limit of 32 MiB and was stopped; raise \
         OPENAI_FT_MEMORY_LIMIT_MIB if the input is legitimately this large"
    );
}

#[test]
fn a_guest_that_loops_forever_is_stopped() {
    let out = test_host(&["selftest", "cpu"])
        .env("OPENAI_FT_CPU_LIMIT_SECS", "1")
        .stdin("{}")
        .run();
    assert_eq!(
        out.only_error(),
        "the component used more than 1 s of CPU time and was stopped; raise \
         OPENAI_FT_CPU_LIMIT_SECS if the input is legitimately this large"
    );
}

#[test]
fn the_guest_sees_no_environment_arguments_or_folder() {
    // Every credential the host reads, and more, in the host's environment; `run` also checks
    // that no key shows up on stdout or stderr.
    let out = test_host(&["selftest", "env"])
        .env("OPENAI_API_KEY", PROJECT_KEY)
        .env("OPENAI_ADMIN_KEY", ADMIN_KEY)
        .env("AZURE_OPENAI_API_KEY", ADMIN_KEY_READ_ONLY)
        .env("AZURE_OPENAI_AD_TOKEN", ADMIN_KEY_NO_OWNER)
        .env("HOME", "/home/someone")
        .env("RUST_BACKTRACE", "full")
        .stdin("{}")
        .run();
    let seen = out.json();
    assert_eq!(
        seen,
        [("arguments", ""), ("environment", ""), ("initial_cwd", "")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    );
    assert_eq!(out.stderr, "");
}

#[test]
fn the_shipped_component_has_no_runaway_command() {
    for which in ["cpu", "memory", "env"] {
        let out = openai_ft(&["selftest", which]).stdin("{}").run();
        let line = out.only_error();
        let list = line
            .strip_prefix(&format!(
                "unknown command \"selftest {which}\": expected one of: "
            ))
            .unwrap_or_else(|| panic!("not an unknown-command refusal: {line}"));
        assert!(list.starts_with("job ensure, "), "{line}");
        assert!(!list.contains("selftest"), "{line}");
    }
}

#[test]
fn the_portable_component_is_written_on_request() {
    let out = std::process::Command::new(BIN)
        .arg("component")
        .output()
        .expect("runs");
    assert!(out.status.success());
    // A component (not a core module): magic, then version 0x0d and layer 0x01.
    assert_eq!(&out.stdout[..8], b"\0asm\x0d\x00\x01\x00");
    let has = |needle: &[u8]| out.stdout.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"openai:fine-tuning/commands@0.4.0"));
    // Neither the test component's commands nor its code: the word is in no name or message.
    assert!(!has(b"selftest"));
}

#[test]
fn the_host_logic_component_is_written_on_request_and_imports_nothing() {
    let out = std::process::Command::new(BIN)
        .args(["component", "host-logic"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert_eq!(&out.stdout[..8], b"\0asm\x0d\x00\x01\x00");
    let has = |needle: &[u8]| out.stdout.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"openai:fine-tuning/host-logic@0.4.0"));
    // No import of any interface: not even WASI.
    assert!(!has(b"wasi:"));
}

#[test]
fn the_test_host_writes_the_test_component() {
    let out = std::process::Command::new(test_host_bin())
        .arg("component")
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert_eq!(&out.stdout[..8], b"\0asm\x0d\x00\x01\x00");
    assert!(out.stdout.windows(8).any(|w| w == b"selftest"));
}
