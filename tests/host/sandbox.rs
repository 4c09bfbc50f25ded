//! The sandbox: a runaway guest is stopped by the memory cap and the CPU bound with one clear
//! line, and the component the binary runs can be written out for other hosts.

use crate::util::*;

#[test]
fn a_guest_that_allocates_without_end_is_stopped() {
    let out = openai_ft(&["selftest", "memory"])
        .env("OPENAI_FT_MEMORY_LIMIT_MIB", "32")
        .run();
    assert_eq!(
        out.only_error(),
        "the component exceeded its memory limit of 32 MiB and was stopped; raise \
         OPENAI_FT_MEMORY_LIMIT_MIB if the input is legitimately this large"
    );
}

#[test]
fn a_guest_that_loops_forever_is_stopped() {
    let out = openai_ft(&["selftest", "cpu"])
        .env("OPENAI_FT_CPU_LIMIT_SECS", "1")
        .run();
    assert_eq!(
        out.only_error(),
        "the component used more than 1 s of CPU time and was stopped; raise \
         OPENAI_FT_CPU_LIMIT_SECS if the input is legitimately this large"
    );
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
    assert!(
        out.stdout
            .windows(b"openai:fine-tuning/commands@0.2.0".len())
            .any(|w| w == b"openai:fine-tuning/commands@0.2.0")
    );
}
