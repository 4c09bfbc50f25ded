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

#[test]
fn version_names_the_contract() {
    let out = openai_ft(&["--version"]).run();
    assert_eq!(out.code, Some(0));
    assert_eq!(
        out.stdout,
        format!(
            "openai-ft {} (wit openai:fine-tuning@0.3.0, wasmtime 48.0.8)\n",
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
