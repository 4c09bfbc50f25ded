//! The command line every host's binary shares: what its arguments ask for ([`invocation`]), its
//! usage, help, noun help and version texts. Only the binary's name and runtime differ, and the
//! native host alone writes portable components and honours proxy variables.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::messages::error_line;
use crate::quote;

/// The binary a host runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// Its name: `openai-ft`, `openai-ft-node`, `openai-ft-py`.
    pub name: String,
    /// What runs the component, for `--version`: `wasmtime 48.0.8`, `node 24.1.0`, ...
    pub runtime: String,
    /// The native host: it writes the portable components and honours proxy variables.
    pub native: bool,
}

/// What the arguments ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invocation {
    /// No arguments: the usage on stderr, exit status 2.
    Usage,
    /// The usage and every command, on stdout.
    Help,
    /// The version line, on stdout.
    Version,
    /// Native only: write a portable component to stdout, openai-ft's or the host logic's.
    Component { host_logic: bool },
    /// One noun's commands ([`noun_help`]).
    NounHelp(String),
    /// Run `<noun> <verb>`.
    Command(String, String),
    /// Anything else: the usage on stderr, then this error.
    Unexpected(String),
}

/// What `args` (without the program name) ask of `program`.
pub fn invocation(program: &Program, args: &[String]) -> Invocation {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] => Invocation::Usage,
        ["-h" | "--help" | "help"] => Invocation::Help,
        ["-V" | "--version"] => Invocation::Version,
        ["component"] if program.native => Invocation::Component { host_logic: false },
        ["component", "host-logic"] if program.native => Invocation::Component { host_logic: true },
        [noun, "-h" | "--help"] => Invocation::NounHelp((*noun).to_owned()),
        [noun, verb] if !noun.starts_with('-') && !verb.starts_with('-') => {
            Invocation::Command((*noun).to_owned(), (*verb).to_owned())
        }
        _ => Invocation::Unexpected(format!(
            "unexpected arguments {}; see the usage above",
            quote(&args.join(" "))
        )),
    }
}

/// What a host's command line does next: [`invocation`] with its texts and exit statuses decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Write `stdout` and `stderr`, then exit with `status`.
    Exit {
        stdout: String,
        stderr: String,
        status: u8,
    },
    /// Ask the openai-ft component for its commands (`describe`), then [`step`] again with them.
    Describe,
    /// Native only: write a portable component to stdout, openai-ft's or the host logic's.
    Component { host_logic: bool },
    /// Read the input and run `<noun> <verb>`.
    Command(String, String),
}

/// What `args` (without the program name) have `program` do, given the component's `commands`
/// once [`Step::Describe`] asked for them.
pub fn step(program: &Program, args: &[String], commands: Option<&[CommandInfo]>) -> Step {
    let exit = |stdout: String, stderr: String, status| Step::Exit {
        stdout,
        stderr,
        status,
    };
    match (invocation(program, args), commands) {
        (Invocation::Usage, _) => exit(String::new(), usage(program), 2),
        (Invocation::Version, _) => exit(format!("{}\n", version(program)), String::new(), 0),
        (Invocation::Component { host_logic }, _) => Step::Component { host_logic },
        (Invocation::Command(noun, verb), _) => Step::Command(noun, verb),
        (Invocation::Unexpected(m), _) => exit(
            String::new(),
            format!("{}{}\n", usage(program), error_line(&m)),
            1,
        ),
        (Invocation::Help | Invocation::NounHelp(_), None) => Step::Describe,
        (Invocation::Help, Some(commands)) => exit(help(program, commands), String::new(), 0),
        (Invocation::NounHelp(noun), Some(commands)) => match noun_help(&noun, commands) {
            Ok(text) => exit(text, String::new(), 0),
            Err(m) => exit(String::new(), format!("{}\n", error_line(&m)), 1),
        },
    }
}

/// The usage text. Only its first line names the binary.
pub fn usage(program: &Program) -> String {
    let native = if program.native {
        (
            "  component [host-logic]  write the portable component (or the host logic) to stdout\n",
            "  HTTPS_PROXY, ALL_PROXY, NO_PROXY                      proxy for an https base (never loopback)\n",
        )
    } else {
        ("", "")
    };
    format!(
        "usage: {} <noun> <verb>

  <noun> <verb>           run a command (input: a JSON object of strings on stdin, or in
                          OPENAI_FT_INPUT; output: a JSON object on stdout)
  <noun> --help           list a noun's commands and their inputs
{}  --help | --version      list every command | print the version

environment:
  OPENAI_API_KEY       project API key (jobs, files, models)
  OPENAI_ADMIN_KEY     admin key (checkpoint permissions only)
  OPENAI_BASE_URL      API base (default https://api.openai.com/v1; https, or http on loopback)
  OPENAI_ORG_ID        sent as OpenAI-Organization
  OPENAI_PROJECT_ID    sent as OpenAI-Project
  OPENAI_FT_FLAVOR     openai, azure or azure-classic (default: azure when
                       AZURE_OPENAI_ENDPOINT is set, else openai)
  AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY or AZURE_OPENAI_AD_TOKEN,
  OPENAI_API_VERSION   Azure OpenAI (api-version for azure-classic only)
  AZURE_RESOURCE_MANAGER_ENDPOINT, AZURE_MANAGEMENT_TOKEN
                       Azure Resource Manager, for deployments (default management.azure.com)
  AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_FEDERATED_TOKEN_FILE, ...
  OPENAI_FT_AZURE_CREDENTIAL ...  Entra ID sign-in instead of a key (docs/azure.md)
  OPENAI_FT_INPUT      the input object, when stdin is not used (local-exec)
  OPENAI_FT_TIMEOUT, OPENAI_FT_CONNECT_TIMEOUT          seconds (default 120, 10)
{}  OPENAI_FT_MEMORY_LIMIT_MIB, OPENAI_FT_CPU_LIMIT_SECS  guest limits (default 256, 300)
",
        program.name, native.0, native.1
    )
}

/// A command as the openai-ft component describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandInfo {
    pub name: String,
    pub summary: String,
    pub inputs: Vec<String>,
}

/// The usage and every command, for `--help`.
pub fn help(program: &Program, commands: &[CommandInfo]) -> String {
    format!("{}\ncommands:\n{}", usage(program), list(commands, None))
}

/// One noun's commands, or the refusal of a noun that has none.
pub fn noun_help(noun: &str, commands: &[CommandInfo]) -> Result<String, String> {
    let list = list(commands, Some(noun));
    if list.is_empty() {
        return Err(format!(
            "unknown noun {}; run openai-ft --help for the commands",
            quote(noun)
        ));
    }
    Ok(list)
}

fn list(commands: &[CommandInfo], noun: Option<&str>) -> String {
    let mut out = String::new();
    for c in commands {
        if noun.is_some_and(|n| c.name.split(' ').next() != Some(n)) {
            continue;
        }
        out.push_str(&format!(
            "  {:<22} {}\n  {:<22} inputs: {}\n",
            c.name,
            c.summary,
            "",
            c.inputs.join(", ")
        ));
    }
    out
}

/// The `--version` line.
pub fn version(program: &Program) -> String {
    format!(
        "{} {} (wit {}, {})",
        program.name,
        crate::VERSION,
        crate::WIT_PACKAGE,
        program.runtime
    )
}

#[cfg(test)]
mod tests {
    use alloc::string::ToString;
    use alloc::vec;

    use super::*;

    fn program(name: &str, native: bool) -> Program {
        Program {
            name: name.into(),
            runtime: "node 24.0.0".into(),
            native,
        }
    }

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_step_is_the_whole_answer_texts_and_exit_status_included() {
        let node = program("openai-ft-node", false);
        let commands = [CommandInfo {
            name: "job read".into(),
            summary: "Read a job.".into(),
            inputs: vec!["id".into()],
        }];
        let exit = |stdout: &str, stderr: &str, status| Step::Exit {
            stdout: stdout.into(),
            stderr: stderr.into(),
            status,
        };
        let usage = usage(&node);
        assert_eq!(step(&node, &args(&[]), None), exit("", &usage, 2));
        assert_eq!(step(&node, &args(&["--help"]), None), Step::Describe);
        assert_eq!(step(&node, &args(&["job", "-h"]), None), Step::Describe);
        let help = format!(
            "{usage}\ncommands:\n  job read               Read a job.\n                         inputs: id\n"
        );
        assert_eq!(
            step(&node, &args(&["--help"]), Some(&commands)),
            exit(&help, "", 0)
        );
        assert_eq!(
            step(&node, &args(&["file", "--help"]), Some(&commands)),
            exit(
                "",
                "openai-ft: unknown noun \"file\"; run openai-ft --help for the commands\n",
                1
            )
        );
        assert_eq!(
            step(&node, &args(&["-V"]), None),
            exit(&format!("{}\n", version(&node)), "", 0)
        );
        assert_eq!(
            step(&node, &args(&["job", "read"]), None),
            Step::Command("job".into(), "read".into())
        );
        assert_eq!(
            step(&node, &args(&["component", "host-logic"]), None),
            Step::Command("component".into(), "host-logic".into())
        );
        assert_eq!(
            step(&program("openai-ft", true), &args(&["component"]), None),
            Step::Component { host_logic: false }
        );
        assert_eq!(
            step(&node, &args(&["job", "read", "x"]), None),
            exit(
                "",
                &format!(
                    "{usage}openai-ft: unexpected arguments \"job read x\"; see the usage above\n"
                ),
                1
            )
        );
    }

    #[test]
    fn arguments() {
        let native = program("openai-ft", true);
        let node = program("openai-ft-node", false);
        assert_eq!(invocation(&native, &[]), Invocation::Usage);
        assert_eq!(invocation(&node, &args(&["help"])), Invocation::Help);
        assert_eq!(invocation(&node, &args(&["-V"])), Invocation::Version);
        assert_eq!(
            invocation(&native, &args(&["component", "host-logic"])),
            Invocation::Component { host_logic: true }
        );
        assert_eq!(
            invocation(&node, &args(&["component", "host-logic"])),
            Invocation::Command("component".into(), "host-logic".into())
        );
        assert_eq!(
            invocation(&node, &args(&["component"])),
            Invocation::Unexpected(
                r#"unexpected arguments "component"; see the usage above"#.into()
            )
        );
        assert_eq!(
            invocation(&node, &args(&["job", "--help"])),
            Invocation::NounHelp("job".into())
        );
        assert_eq!(
            invocation(&node, &args(&["job", "read"])),
            Invocation::Command("job".into(), "read".into())
        );
        assert_eq!(
            invocation(&node, &args(&["job", "read", "x\"y"])),
            Invocation::Unexpected(
                r#"unexpected arguments "job read x\"y"; see the usage above"#.into()
            )
        );
    }

    #[test]
    fn texts() {
        let node = program("openai-ft-node", false);
        let usage = usage(&node);
        let head: Vec<&str> = usage.lines().take(7).collect();
        assert_eq!(
            head,
            [
                "usage: openai-ft-node <noun> <verb>",
                "",
                "  <noun> <verb>           run a command (input: a JSON object of strings on stdin, or in",
                "                          OPENAI_FT_INPUT; output: a JSON object on stdout)",
                "  <noun> --help           list a noun's commands and their inputs",
                "  --help | --version      list every command | print the version",
                "",
            ]
        );
        let native = super::usage(&program("openai-ft", true));
        assert_eq!(
            native.lines().nth(5),
            Some(
                "  component [host-logic]  write the portable component (or the host logic) to stdout"
            )
        );
        assert!(!usage.contains("PROXY") && native.contains("HTTPS_PROXY"));
        assert_eq!(
            version(&node),
            format!(
                "openai-ft-node {} (wit openai:fine-tuning@0.4.0, node 24.0.0)",
                crate::VERSION
            )
        );
        let commands = [CommandInfo {
            name: "job read".into(),
            summary: "Read a job.".into(),
            inputs: vec!["id".into(), "model".into()],
        }];
        assert_eq!(
            noun_help("job", &commands).unwrap(),
            "  job read               Read a job.\n                         inputs: id, model\n"
        );
        assert_eq!(
            noun_help("nope", &commands).unwrap_err(),
            r#"unknown noun "nope"; run openai-ft --help for the commands"#
        );
        assert!(help(&node, &commands).ends_with("\ncommands:\n  job read               Read a job.\n                         inputs: id, model\n"));
    }
}
