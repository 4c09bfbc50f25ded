//! The command line: help and version behave as people expect of a CLI.

use crate::util::*;

#[test]
fn help_lists_the_commands_and_environment() {
    let out = openai_ft(&["--help"]).run();
    assert_eq!(out.code, Some(0));
    assert!(out.stdout.starts_with("usage: openai-ft <noun> <verb>"));
    assert!(out.stdout.contains("job read"));
    assert!(out.stdout.contains("OPENAI_ADMIN_KEY"));
}

#[test]
fn noun_help_lists_its_commands_and_inputs() {
    let out = openai_ft(&["job", "--help"]).run();
    assert_eq!(out.code, Some(0));
    assert!(out.stdout.contains("job read"));
    assert!(out.stdout.contains("inputs: id"));
    let line = openai_ft(&["jobz", "--help"]).run().only_error();
    assert_eq!(
        line,
        r#"unknown noun "jobz"; run openai-ft --help for the commands"#
    );
}

/// The version line names the WIT package `wit/world.wit` declares and the wasmtime the
/// workspace pins, read here from those files, so a new contract or runtime cannot leave it behind.
#[test]
fn version_names_the_contract() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let read = |file: &str| std::fs::read_to_string(format!("{root}/{file}")).expect(file);
    let wit = read("wit/world.wit");
    let package = wit
        .lines()
        .find_map(|l| l.strip_prefix("package "))
        .and_then(|p| p.strip_suffix(';'))
        .expect("a package line");
    let manifest = read("Cargo.toml");
    let wasmtime = manifest
        .lines()
        .find_map(|l| l.strip_prefix("wasmtime = { version = \"="))
        .and_then(|rest| rest.split('"').next())
        .expect("wasmtime pinned exactly in the workspace's dependencies");
    let out = openai_ft(&["--version"]).run();
    assert_eq!(out.code, Some(0));
    assert_eq!(
        out.stdout,
        format!(
            "openai-ft {} (wit {package}, wasmtime {wasmtime})\n",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[test]
fn no_arguments_prints_usage_and_exits_2() {
    let out = openai_ft(&[]).run();
    assert_eq!(out.code, Some(2));
    assert_eq!(out.stdout, "");
    assert!(out.stderr.starts_with("usage: openai-ft"));
}
