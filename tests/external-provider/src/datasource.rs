//! The `external` data source as hashicorp/terraform-provider-external v2.4.0 defines it: its
//! schema, its config validation and its read (run the program, parse a flat JSON object).
//! Diagnostic summaries and details are the provider's own, so tests can match on them.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::msgpack::Value;

/// One diagnostic, optionally attached to a top-level attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diag {
    pub summary: String,
    pub detail: String,
    pub attribute: Option<&'static str>,
}

impl Diag {
    fn program(summary: &str, detail: String) -> Self {
        Diag {
            summary: summary.to_string(),
            detail,
            attribute: Some("program"),
        }
    }
}

/// A schema attribute: name, cty type JSON, description, required/optional/computed.
pub struct Attribute {
    pub name: &'static str,
    pub type_json: &'static str,
    pub description: &'static str,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
}

pub const TYPE_NAME: &str = "external";

pub const DESCRIPTION: &str = "The `external` data source allows an external program implementing a specific protocol (defined below) to act as a data source, exposing arbitrary data for use elsewhere in the Terraform configuration.\n\n**Warning** This mechanism is provided as an \"escape hatch\" for exceptional situations where a first-class Terraform provider is not more appropriate. Its capabilities are limited in comparison to a true data source, and implementing a data source via an external program is likely to hurt the portability of your Terraform configuration by creating dependencies on external programs and libraries that may not be available (or may need to be used differently) on different operating systems.\n\n**Warning** Terraform Enterprise does not guarantee availability of any particular language runtimes or external programs beyond standard shell utilities, so it is not recommended to use this data source within configurations that are applied within Terraform Enterprise.";

/// The attributes in name order, as the plugin framework sends them.
pub const ATTRIBUTES: [Attribute; 5] = [
    Attribute {
        name: "id",
        type_json: "\"string\"",
        description: "The id of the data source. This will always be set to `-`",
        required: false,
        optional: false,
        computed: true,
    },
    Attribute {
        name: "program",
        type_json: "[\"list\",\"string\"]",
        description: "A list of strings, whose first element is the program to run and whose subsequent elements are optional command line arguments to the program. Terraform does not execute the program through a shell, so it is not necessary to escape shell metacharacters nor add quotes around arguments containing spaces.",
        required: true,
        optional: false,
        computed: false,
    },
    Attribute {
        name: "query",
        type_json: "[\"map\",\"string\"]",
        description: "A map of string values to pass to the external program as the query arguments. If not supplied, the program will receive an empty object as its input.",
        required: false,
        optional: true,
        computed: false,
    },
    Attribute {
        name: "result",
        type_json: "[\"map\",\"string\"]",
        description: "A map of string values returned from the external program.",
        required: false,
        optional: false,
        computed: true,
    },
    Attribute {
        name: "working_dir",
        type_json: "\"string\"",
        description: "Working directory of the program. If not supplied, the program will run in the current directory.",
        required: false,
        optional: true,
        computed: false,
    },
];

const LOOKUP_DETAIL: &str = "The data source received an unexpected error while attempting to parse the query. The data source received an unexpected error while attempting to find the program.

The program must be accessible according to the platform where Terraform is running.

If the expected program should be automatically found on the platform where Terraform is running, ensure that the program is in an expected directory. On Unix-based platforms, these directories are typically searched based on the '$PATH' environment variable. On Windows-based platforms, these directories are typically searched based on the '%PATH%' environment variable.

If the expected program is relative to the Terraform configuration, it is recommended that the program name includes the interpolated value of 'path.module' before the program name to ensure that it is compatible with varying module usage. For example: \"${path.module}/my-program\"

The program must also be executable according to the platform where Terraform is running. On Unix-based platforms, the file on the filesystem must have the executable bit set. On Windows-based platforms, no action is typically necessary.
";

const RESULTS_DETAIL: &str = "The data source received unexpected results after executing the program.

Program output must be a JSON encoded map of string keys and string values.

If the error is unclear, the output can be viewed by enabling Terraform's logging at TRACE level. Terraform documentation on logging: https://www.terraform.io/internals/debugging
";

fn attr<'a>(config: &'a Value, name: &str) -> &'a Value {
    match config {
        Value::Map(m) => m.get(name).unwrap_or(&Value::Null),
        _ => &Value::Null,
    }
}

/// ValidateDataSourceConfig: the framework's `listvalidator.SizeAtLeast(1)` on `program`,
/// applied only once the list is known.
pub fn validate(config: &Value) -> Vec<Diag> {
    match attr(config, "program") {
        Value::List(items) if items.is_empty() => vec![Diag {
            summary: "Invalid Attribute Value".to_string(),
            detail: "Attribute program list must contain at least 1 elements, got: 0".to_string(),
            attribute: Some("program"),
        }],
        _ => Vec::new(),
    }
}

/// ReadDataSource: returns the new state object or the diagnostics that stop the read.
pub fn read(config: &Value) -> Result<Value, Diag> {
    let program = match attr(config, "program") {
        Value::List(items) => items.clone(),
        _ => Vec::new(),
    };
    let filtered: Vec<String> = program
        .iter()
        .filter_map(|v| match v {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            _ => None,
        })
        .collect();
    if filtered.is_empty() {
        return Err(Diag::program(
            "External Program Missing",
            "The data source was configured without a program to execute. Verify the configuration contains at least one non-empty value.".to_string(),
        ));
    }

    // Null query values are left out, as the provider has done since v2.2.3.
    let mut query = BTreeMap::new();
    if let Value::Map(m) = attr(config, "query") {
        for (k, v) in m {
            if let Value::String(s) = v {
                query.insert(k.clone(), s.clone());
            }
        }
    }
    let query_json = go_json_object(&query);

    let path = match look_path(&filtered[0]) {
        Ok(path) => path,
        Err(err) => {
            let first = match program.first() {
                Some(Value::String(s)) => go_quote(s),
                _ => "<null>".to_string(),
            };
            return Err(Diag::program(
                "External Program Lookup Failed",
                format!("{LOOKUP_DETAIL}\nPlatform: linux\nProgram: {first}\nError: {err}"),
            ));
        }
    };

    let working_dir = match attr(config, "working_dir") {
        Value::String(s) => s.clone(),
        _ => String::new(),
    };
    let (status, stdout, stderr) = match run(&path, &filtered, &working_dir, &query_json) {
        Ok(out) => out,
        Err(state) => return Err(execution_failed(&path, "", &state)),
    };
    if !status.success() {
        return Err(execution_failed(&path, &stderr, &exit_state(status)));
    }

    let result = parse_result(&stdout).map_err(|err| {
        Diag::program(
            "Unexpected External Program Results",
            format!("{RESULTS_DETAIL}\nProgram: {path}\nResult Error: {err}"),
        )
    })?;

    let mut state = BTreeMap::new();
    for name in ["program", "query", "working_dir"] {
        state.insert(name.to_string(), attr(config, name).clone());
    }
    state.insert(
        "result".to_string(),
        Value::Map(
            result
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        ),
    );
    state.insert("id".to_string(), Value::String("-".to_string()));
    Ok(Value::Map(state))
}

fn execution_failed(path: &str, stderr: &str, state: &str) -> Diag {
    let detail = if stderr.is_empty() {
        format!(
            "The data source received an unexpected error while attempting to execute the program.\n\nThe program was executed, however it returned no additional error messaging.\n\nProgram: {path}\nState: {state}"
        )
    } else {
        format!(
            "The data source received an unexpected error while attempting to execute the program.\n\nProgram: {path}\nError Message: {stderr}\nState: {state}"
        )
    };
    Diag::program("External Program Execution Failed", detail)
}

/// Runs the program without a shell: argv[0] stays the configured name (as Go's exec does),
/// stdin is the query, the environment is inherited, stdout and stderr are captured.
fn run(
    path: &str,
    argv: &[String],
    working_dir: &str,
    stdin: &str,
) -> Result<(std::process::ExitStatus, Vec<u8>, String), String> {
    // A bare name (found through a "." PATH entry) must not trigger a second PATH search.
    let exe = if path.contains('/') {
        path.to_string()
    } else {
        format!("./{path}")
    };
    let mut cmd = Command::new(exe);
    cmd.arg0(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if !working_dir.is_empty() {
        // Go's os.StartProcess stats the directory first and names the chdir in its error;
        // anything else (say, not a directory) surfaces as the fork/exec error below.
        if let Err(e) = std::fs::metadata(working_dir) {
            return Err(format!("chdir {working_dir}: {}", go_errno(&e)));
        }
        cmd.current_dir(working_dir);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("fork/exec {path}: {}", go_errno(&e)))?;
    let mut child_stdin = child.stdin.take();
    let input = stdin.as_bytes().to_vec();
    // A program that never reads stdin must not fail the read: write errors are ignored.
    let writer = std::thread::spawn(move || {
        if let Some(mut pipe) = child_stdin.take() {
            let _ = pipe.write_all(&input);
        }
    });
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    // The real provider runs the program under the RPC's context, which Terraform's Stop
    // (Ctrl-C) cancels: the program is then killed, as Go's exec.CommandContext does.
    let generation = STOPS.load(Ordering::SeqCst);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if STOPS.load(Ordering::SeqCst) != generation => {
                let _ = child.kill();
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(5)),
            Err(e) => return Err(format!("wait: {}", go_errno(&e))),
        }
    };
    let _ = writer.join();
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    Ok((
        status,
        stdout,
        String::from_utf8_lossy(&stderr).into_owned(),
    ))
}

/// Counts Stop RPCs; a program started before the latest Stop is killed.
pub static STOPS: AtomicU64 = AtomicU64::new(0);

fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut buf);
        }
        buf
    })
}

/// Go's `*exec.ExitError` text.
fn exit_state(status: std::process::ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    let name = match status.signal() {
        Some(1) => "hangup".to_string(),
        Some(2) => "interrupt".to_string(),
        Some(6) => "aborted".to_string(),
        Some(9) => "killed".to_string(),
        Some(11) => "segmentation fault".to_string(),
        Some(13) => "broken pipe".to_string(),
        Some(15) => "terminated".to_string(),
        Some(n) => format!("signal {n}"),
        None => "unknown".to_string(),
    };
    format!("signal: {name}")
}

/// Go's `exec.LookPath`: a name with a slash is checked as is, otherwise each `$PATH` entry is
/// tried ("" meaning "."). A hit in a relative entry is Go's ErrDot, which v2.4.0 tolerates.
pub fn look_path(name: &str) -> Result<String, String> {
    if name.contains('/') {
        return find_executable(name)
            .map(|()| name.to_string())
            .map_err(|e| format!("exec: {}: {e}", go_quote(name)));
    }
    let path_var = std::env::var("PATH").unwrap_or_default();
    if !path_var.is_empty() {
        for dir in path_var.split(':') {
            let dir = if dir.is_empty() { "." } else { dir };
            let candidate = go_clean(&format!("{dir}/{name}"));
            if find_executable(&candidate).is_ok() {
                return Ok(candidate);
            }
        }
    }
    Err(format!(
        "exec: {}: executable file not found in $PATH",
        go_quote(name)
    ))
}

/// Go's `filepath.Clean`, lexically: drops "." and empty elements, resolves "..".
fn go_clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            part => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

fn find_executable(file: &str) -> Result<(), String> {
    let meta = std::fs::metadata(file).map_err(|e| format!("stat {file}: {}", go_errno(&e)))?;
    if meta.is_dir() {
        return Err("is a directory".to_string());
    }
    if meta.permissions().mode() & 0o111 == 0 {
        return Err("permission denied".to_string());
    }
    Ok(())
}

/// An io::Error the way Go prints an errno: "no such file or directory".
fn go_errno(e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

/// Go's `%q` for the strings we print: double-quoted, with Go's escapes.
pub fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `json.Marshal(map[string]string)`: sorted keys, no spaces, and Go's HTML-safe escaping.
pub fn go_json_object(map: &BTreeMap<String, String>) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        go_json_string(&mut out, k);
        out.push(':');
        go_json_string(&mut out, v);
    }
    out.push('}');
    out
}

fn go_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `json.Unmarshal(stdout, &map[string]string{})`: the output must be one flat JSON object of
/// strings. As in Go, top-level `null` gives an empty map and a `null` member gives "".
pub fn parse_result(stdout: &[u8]) -> Result<BTreeMap<String, String>, String> {
    if stdout.iter().all(u8::is_ascii_whitespace) {
        return Err("unexpected end of JSON input".to_string());
    }
    let value: serde_json::Value =
        serde_json::from_slice(stdout).map_err(|e| format!("invalid JSON: {e}"))?;
    let object = match value {
        serde_json::Value::Null => return Ok(BTreeMap::new()),
        serde_json::Value::Object(o) => o,
        other => {
            return Err(format!(
                "json: cannot unmarshal {} into Go value of type map[string]string",
                json_kind(&other)
            ));
        }
    };
    let mut result = BTreeMap::new();
    for (k, v) in object {
        match v {
            serde_json::Value::String(s) => {
                result.insert(k, s);
            }
            serde_json::Value::Null => {
                result.insert(k, String::new());
            }
            other => {
                return Err(format!(
                    "json: cannot unmarshal {} into Go value of type string",
                    json_kind(&other)
                ));
            }
        }
    }
    Ok(result)
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_object_of_strings_is_the_result() {
        let r = parse_result(br#"{"b":"2","a":"1"}"#).unwrap();
        assert_eq!(
            r.into_iter().collect::<Vec<_>>(),
            vec![("a".into(), "1".into()), ("b".into(), "2".into())]
        );
    }

    #[test]
    fn nested_values_are_rejected_with_gos_message() {
        assert_eq!(
            parse_result(br#"{"a":{"b":"c"}}"#).unwrap_err(),
            "json: cannot unmarshal object into Go value of type string"
        );
        assert_eq!(
            parse_result(br#"{"a":1}"#).unwrap_err(),
            "json: cannot unmarshal number into Go value of type string"
        );
        assert_eq!(
            parse_result(br#"{"a":["x"]}"#).unwrap_err(),
            "json: cannot unmarshal array into Go value of type string"
        );
        assert_eq!(
            parse_result(br#"["a"]"#).unwrap_err(),
            "json: cannot unmarshal array into Go value of type map[string]string"
        );
        assert_eq!(
            parse_result(b"").unwrap_err(),
            "unexpected end of JSON input"
        );
        assert!(
            parse_result(b"not json")
                .unwrap_err()
                .starts_with("invalid JSON")
        );
    }

    #[test]
    fn nulls_follow_go_unmarshal() {
        assert!(parse_result(b"null").unwrap().is_empty());
        assert_eq!(parse_result(br#"{"a":null}"#).unwrap()["a"], "");
    }

    #[test]
    fn query_json_is_compact_sorted_and_html_escaped_like_go() {
        let mut q = BTreeMap::new();
        q.insert("z".to_string(), "<a&b>\n".to_string());
        q.insert("a".to_string(), "\"x\"".to_string());
        assert_eq!(
            go_json_object(&q),
            r#"{"a":"\"x\"","z":"\u003ca\u0026b\u003e\n"}"#
        );
        assert_eq!(go_json_object(&BTreeMap::new()), "{}");
    }

    #[test]
    fn lookup_errors_read_like_go() {
        assert_eq!(
            look_path("surely-not-a-program-xyz").unwrap_err(),
            "exec: \"surely-not-a-program-xyz\": executable file not found in $PATH"
        );
        assert_eq!(
            look_path("./no/such/prog").unwrap_err(),
            "exec: \"./no/such/prog\": stat ./no/such/prog: no such file or directory"
        );
        assert_eq!(look_path("/bin/sh").unwrap(), "/bin/sh");
    }

    #[test]
    fn path_entries_are_cleaned_like_go() {
        assert_eq!(go_clean("/a//b/./c/../d"), "/a/b/d");
        assert_eq!(go_clean("./prog"), "prog");
        assert_eq!(go_clean("../x/../../y"), "../../y");
        assert_eq!(go_clean("/.."), "/");
    }

    fn config(program: &[&str], query: &[(&str, Option<&str>)]) -> Value {
        let mut m = BTreeMap::new();
        let program = program.iter().map(|a| Value::String(a.to_string()));
        m.insert("program".to_string(), Value::List(program.collect()));
        let query = query.iter().map(|(k, v)| {
            let v = v.map_or(Value::Null, |v| Value::String(v.to_string()));
            (k.to_string(), v)
        });
        m.insert("query".to_string(), Value::Map(query.collect()));
        m.insert("working_dir".to_string(), Value::Null);
        Value::Map(m)
    }

    // One test for everything that runs a program: a Stop kills every running program, so
    // these must not overlap.
    #[test]
    fn read_runs_programs_like_the_provider() {
        // `cat` echoes the query back: it is already a flat object of strings.
        let state = read(&config(
            &["sh", "-c", "cat"],
            &[("b", Some("2")), ("gone", None)],
        ))
        .expect("read succeeds");
        let Value::Map(state) = state else {
            panic!("state is not an object")
        };
        let mut result = BTreeMap::new();
        result.insert("b".to_string(), Value::String("2".to_string()));
        assert_eq!(state["result"], Value::Map(result));
        assert_eq!(state["id"], Value::String("-".to_string()));
        assert_eq!(state["working_dir"], Value::Null);

        let sh = look_path("sh").expect("sh on PATH");
        let failed = read(&config(&["sh", "-c", "echo oops >&2; exit 3"], &[])).unwrap_err();
        assert_eq!(failed.summary, "External Program Execution Failed");
        assert_eq!(
            failed.detail,
            format!(
                "The data source received an unexpected error while attempting to execute the program.\n\nProgram: {sh}\nError Message: oops\n\nState: exit status 3"
            )
        );

        let missing = read(&config(&["", ""], &[])).unwrap_err();
        assert_eq!(missing.summary, "External Program Missing");

        let before = STOPS.load(Ordering::SeqCst);
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(200));
            STOPS.fetch_add(1, Ordering::SeqCst);
        });
        let killed = read(&config(&["sh", "-c", "exec sleep 30"], &[])).unwrap_err();
        stopper.join().expect("stopper");
        assert!(STOPS.load(Ordering::SeqCst) > before);
        assert!(
            killed.detail.ends_with("\nState: signal: killed"),
            "{}",
            killed.detail
        );
    }

    #[test]
    fn validate_rejects_an_empty_program_list_only_when_known() {
        let mut m = BTreeMap::new();
        m.insert("program".to_string(), Value::List(vec![]));
        assert_eq!(
            validate(&Value::Map(m.clone()))[0].summary,
            "Invalid Attribute Value"
        );
        m.insert("program".to_string(), Value::Unknown);
        assert!(validate(&Value::Map(m)).is_empty());
    }
}
