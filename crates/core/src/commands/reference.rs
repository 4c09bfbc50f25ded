//! The command reference, generated from [`COMMANDS`] so it is never written twice: HOST.md's
//! command section and the GitHub Action's inputs (`hosts/node/action.yml`), each between two
//! marker lines. The tests here fail, with the first difference, when either file is out of step
//! with the table, and rewrite both when `OPENAI_FT_REGENERATE=1` is set; a third checks the
//! table's outputs against what each command really gives.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::{COMMANDS, run};
use crate::input::Input;
use crate::testing::Fake;

const REGENERATE: &str = "OPENAI_FT_REGENERATE=1 cargo test -p openai-ft-core commands::reference";

/// HOST.md's command section: each command, what it does, its inputs and its outputs.
fn markdown() -> String {
    let mut out = String::new();
    for c in COMMANDS {
        let keys = |keys: &mut dyn Iterator<Item = &str>| {
            let listed: Vec<String> = keys.map(|k| format!("`{k}`")).collect();
            if listed.is_empty() {
                "none".to_owned()
            } else {
                listed.join(", ")
            }
        };
        let mut summary = c.summary.chars();
        let first = summary.next().map(|f| f.to_ascii_uppercase());
        out.push_str(&format!(
            "\n#### `{}`\n\n{}{}.\n\n- inputs: {}\n- outputs: {}\n",
            c.name,
            first.unwrap_or_default(),
            summary.as_str(),
            keys(&mut c.inputs.iter().copied()),
            keys(&mut c.output_keys()),
        ));
    }
    out.push('\n');
    out
}

/// The Action's inputs after `command` and `input`: every command input, in the order the
/// commands first take them, with the commands that take it.
fn action_inputs() -> String {
    let mut order: Vec<&str> = Vec::new();
    for c in COMMANDS {
        for key in c.inputs {
            if !order.contains(key) {
                order.push(key);
            }
        }
    }
    let mut out = String::new();
    for key in order {
        let users: Vec<&str> = COMMANDS
            .iter()
            .filter(|c| c.inputs.contains(&key))
            .map(|c| c.name)
            .collect();
        out.push_str(&format!(
            "  {key}:\n    description: \"Input `{key}` of {} (HOST.md, section 4); empty means unset.\"\n    required: false\n",
            users.join(", ")
        ));
    }
    out
}

/// A generated file: `path` (from the repository root) holds `generated` between the line
/// starting with `begin` and the line starting with `end`.
struct Section {
    path: &'static str,
    begin: &'static str,
    end: &'static str,
}

impl Section {
    fn check(&self, generated: &str) {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(self.path);
        let text = std::fs::read_to_string(&path).expect("the generated file is readable");
        let start = find_line(&text, self.begin, 0)
            .unwrap_or_else(|| panic!("{}: no line starting {:?}", self.path, self.begin))
            .1;
        let stop = find_line(&text, self.end, start)
            .unwrap_or_else(|| panic!("{}: no line starting {:?}", self.path, self.end))
            .0;
        let found = &text[start..stop];
        if found == generated {
            return;
        }
        if std::env::var_os("OPENAI_FT_REGENERATE").is_some() {
            let updated = format!("{}{generated}{}", &text[..start], &text[stop..]);
            std::fs::write(&path, updated).expect("the generated file is writable");
            return;
        }
        let first = found
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| found.lines().count().min(generated.lines().count()));
        panic!(
            "{} is out of step with the command table (crates/core/src/commands/mod.rs) from \
             line {} of its generated section:\n  the file has: {:?}\n  the table gives: {:?}\n\
             regenerate it with: {REGENERATE}",
            self.path,
            first + 1,
            found.lines().nth(first).unwrap_or("(end)"),
            generated.lines().nth(first).unwrap_or("(end)"),
        );
    }
}

/// Where the first line from `from` on that starts with `prefix` begins and ends.
fn find_line(text: &str, prefix: &str, from: usize) -> Option<(usize, usize)> {
    let mut at = from;
    for line in text[from..].split_inclusive('\n') {
        if line.starts_with(prefix) {
            return Some((at, at + line.len()));
        }
        at += line.len();
    }
    None
}

#[test]
fn host_md_lists_every_command_with_its_inputs_and_outputs() {
    Section {
        path: "HOST.md",
        begin: "<!-- commands: generated",
        end: "<!-- end of commands -->",
    }
    .check(&markdown());
}

#[test]
fn the_action_declares_every_command_input() {
    Section {
        path: "hosts/node/action.yml",
        begin: "  # inputs: generated",
        end: "  # end of inputs",
    }
    .check(&action_inputs());
}

/// Runs every command once, with inputs that reach each of its conditional outputs, and checks
/// that it gave exactly the keys the table lists.
#[test]
fn each_command_gives_exactly_the_outputs_listed() {
    let mut fake = Fake::new();
    fake.file = Some(include_bytes!("../../../../tests/data/supervised.jsonl").to_vec());
    let checkpoint = "ft:gpt-4o-mini:org::abc123";
    let mut seen = BTreeSet::new();
    let mut call = |fake: &mut Fake, command: &str, pairs: &[(&str, &str)]| {
        let input: Input = pairs.iter().copied().collect();
        let out = run(fake, command, &input)
            .unwrap_or_else(|e| panic!("{command} {pairs:?} failed: {e}"));
        let given: BTreeSet<&str> = out.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(given.len(), out.len(), "{command} gives a key twice");
        let c = COMMANDS.iter().find(|c| c.name == command).expect("listed");
        let listed: BTreeSet<&str> = c.output_keys().collect();
        assert_eq!(
            given, listed,
            "{command}: the outputs given and the outputs listed"
        );
        seen.insert(c.name);
        out
    };
    let path = [("path", "train.jsonl")];
    call(&mut fake, "file validate", &path);
    let file = call(&mut fake, "file upload", &path);
    call(&mut fake, "file read", &path);
    let file_id = &file.iter().find(|(k, _)| k == "id").expect("an id").1;
    let job = call(
        &mut fake,
        "job ensure",
        &[("model", "gpt-4o-mini"), ("training_file", file_id)],
    );
    let id = &job.iter().find(|(k, _)| k == "id").expect("an id").1;
    let by_id = [("id", id.as_str())];
    call(
        &mut fake,
        "job read",
        &[
            ("id", id),
            ("checkpoints", "true"),
            ("shutdown_dates", "true"),
        ],
    );
    // Only a running job can be paused, as on the API.
    fake.jobs[0]["status"] = "running".into();
    call(&mut fake, "job pause", &by_id);
    call(&mut fake, "job resume", &by_id);
    call(&mut fake, "job list", &[]);
    call(&mut fake, "job check", &[("model", "gpt-4o-mini")]);
    call(&mut fake, "job cancel", &by_id);
    call(&mut fake, "permissions check", &[]);
    let one = [("checkpoint", checkpoint), ("project_id", "proj_a")];
    call(&mut fake, "permissions grant", &one);
    call(
        &mut fake,
        "permissions read",
        &[("checkpoint", checkpoint), ("project_id", "proj_b")],
    );
    call(&mut fake, "permissions revoke", &one);
    call(&mut fake, "models inventory", &[("format", "csv")]);
    let mut azure = Fake::flavored(crate::flavor::Flavor::Azure);
    let at = [
        ("subscription_id", "00000000-1111-2222-3333-444444444444"),
        ("resource_group", "rg"),
        ("account", "res"),
        ("name", "served"),
    ];
    let spec: Vec<(&str, &str)> = at.iter().copied().chain([("model", "m")]).collect();
    call(&mut azure, "deployment ensure", &spec);
    let dated: Vec<(&str, &str)> = spec
        .iter()
        .copied()
        .chain([("shutdown_dates", "true")])
        .collect();
    call(&mut azure, "deployment read", &dated);
    call(&mut azure, "deployment delete", &at);
    let all: BTreeSet<&str> = COMMANDS.iter().map(|c| c.name).collect();
    assert_eq!(seen, all, "every command is run");
}
