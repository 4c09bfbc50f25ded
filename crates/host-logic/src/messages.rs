//! The messages a host shows that no other module words: the error line itself, the input's and
//! the granted file's refusals, the guest's limits, and the guest's stderr lines a host withholds.
//! Each is written here once for every host.

use alloc::format;
use alloc::string::String;

use crate::quote;

/// A message with nothing to decide around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// stdin is a terminal and `OPENAI_FT_INPUT` is unset.
    NoInput,
    /// stdin could not be read, in the runtime's words.
    ReadingStdin(String),
    /// The guest asked for the granted file, but its command was granted none.
    NoGrant,
    /// The guest outgrew its memory limit, in MiB.
    MemoryLimit(u32),
    /// The guest used more than its CPU time, in seconds.
    CpuLimit(u32),
    /// The guest trapped for another reason, in the runtime's words: a bug.
    Trap(String),
    /// The guest's thread ended without an answer, with this status (Node).
    GuestExited(i32),
    /// A binary wasm component would have gone to a terminal.
    WasmToTerminal,
    /// The Action's `command` input is not `<noun> <verb>`.
    InvalidCommand(String),
    /// The Action runs outside GitHub Actions (no `GITHUB_OUTPUT`).
    NoGithubOutput,
    /// The Action's command succeeded with this many outputs.
    ActionDone { command: String, outputs: u32 },
}

/// The text of `notice`.
pub fn notice(notice: &Notice) -> String {
    match notice {
        Notice::NoInput => {
            "no input: pipe a JSON object of strings on stdin or set OPENAI_FT_INPUT".into()
        }
        Notice::ReadingStdin(words) => format!("reading stdin: {words}"),
        Notice::NoGrant => "this command was not given a file".into(),
        Notice::MemoryLimit(mib) => format!(
            "the component exceeded its memory limit of {mib} MiB and was stopped; raise \
             OPENAI_FT_MEMORY_LIMIT_MIB if the input is legitimately this large"
        ),
        Notice::CpuLimit(secs) => format!(
            "the component used more than {secs} s of CPU time and was stopped; raise \
             OPENAI_FT_CPU_LIMIT_SECS if the input is legitimately this large"
        ),
        Notice::Trap(words) => {
            format!("the component failed (a bug in openai-ft, please report it): {words}")
        }
        Notice::GuestExited(status) => format!(
            "the component failed (a bug in openai-ft, please report it): its thread exited \
             early (status {status})"
        ),
        Notice::WasmToTerminal => "refusing to write binary wasm to a terminal; redirect it: \
                                   openai-ft component > openai-ft.wasm"
            .into(),
        Notice::InvalidCommand(command) => format!(
            "invalid command {}: give `<noun> <verb>`, for example \"job read\"",
            quote(command)
        ),
        Notice::NoGithubOutput => {
            "GITHUB_OUTPUT is not set: run this as a GitHub Actions step".into()
        }
        Notice::ActionDone { command, outputs } => {
            format!("openai-ft: {command}: {outputs} outputs")
        }
    }
}

/// The one line a host prints on stderr for an error: `openai-ft: {message}`, made inert
/// ([`one_line`](crate::inert::one_line): line breaks, escapes and other control characters as
/// spaces), since a message may quote a server's words.
pub fn error_line(message: &str) -> String {
    format!("openai-ft: {}", crate::inert::one_line(message))
}

/// An operating-system error as the host's runtime reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsError {
    /// The error number; 0 for an error the system did not number.
    pub code: i32,
    /// Its symbolic name (`ENOENT`), when the runtime gives one.
    pub name: String,
    /// The system's description (`strerror`), when the runtime gives one.
    pub words: String,
}

impl core::fmt::Display for OsError {
    /// As Rust prints an `io::Error`: `No such file or directory (os error 2)`. A runtime that
    /// has no description gets the C library's for the errors opening a file can give.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let known = match self.name.as_str() {
            "EPERM" => "Operation not permitted",
            "ENOENT" => "No such file or directory",
            "EIO" => "Input/output error",
            "ENXIO" => "No such device or address",
            "EACCES" => "Permission denied",
            "EBUSY" => "Device or resource busy",
            "ENODEV" => "No such device",
            "ENOTDIR" => "Not a directory",
            "EISDIR" => "Is a directory",
            "ENFILE" => "Too many open files in system",
            "EMFILE" => "Too many open files",
            "ETXTBSY" => "Text file busy",
            "EFBIG" => "File too large",
            "ENAMETOOLONG" => "File name too long",
            "ELOOP" => "Too many levels of symbolic links",
            "EOVERFLOW" => "Value too large for defined data type",
            "ESTALE" => "Stale file handle",
            _ => "",
        };
        let words = [self.words.as_str(), known, self.name.as_str()]
            .into_iter()
            .find(|w| !w.is_empty())
            .unwrap_or("unknown error");
        match self.code {
            0 => f.write_str(words),
            code => write!(f, "{words} (os error {code})"),
        }
    }
}

/// Why the granted file could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenFailure {
    /// It is a folder, a FIFO, a device: anything but a regular file.
    NotRegular,
    Os(OsError),
}

/// The refusal of a command's `path`.
pub fn grant_refusal(path: &str, why: &OpenFailure) -> String {
    let cause = match why {
        OpenFailure::NotRegular => format!("cannot read {path}: not a regular file"),
        OpenFailure::Os(e) => format!("cannot be read ({e})"),
    };
    format!(
        "invalid path {}: {cause}; set path to a readable local JSONL file",
        quote(path)
    )
}

/// The guest's error when reading the granted file at `path` failed.
pub fn read_failure(path: &str, e: &OsError) -> String {
    format!("cannot read {path}: {e}")
}

/// What a host does with a line the guest wrote on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StderrLine {
    /// Pass it on.
    Show,
    /// Rust's notice that an allocation failed: withhold it, and report the memory limit if the
    /// guest then traps.
    AllocFailure,
    /// The backtrace hint that follows that notice: withhold it.
    Withhold,
}

/// Sorts a guest's stderr line (`after_alloc_failure`: an [`StderrLine::AllocFailure`] came
/// before). Where a memory cap makes `memory.grow` fail rather than trap, Rust's allocator prints
/// two lines before aborting; withholding exactly those lets every host show the same one line.
pub fn guest_stderr(line: &str, after_alloc_failure: bool) -> StderrLine {
    let alloc_failure = line
        .strip_prefix("memory allocation of ")
        .and_then(|rest| rest.strip_suffix(" bytes failed"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if alloc_failure {
        StderrLine::AllocFailure
    } else if after_alloc_failure
        && line == "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace"
    {
        StderrLine::Withhold
    } else {
        StderrLine::Show
    }
}

#[cfg(test)]
mod tests {
    use alloc::string::ToString;

    use super::*;

    fn os(code: i32, name: &str, words: &str) -> OsError {
        OsError {
            code,
            name: name.into(),
            words: words.into(),
        }
    }

    #[test]
    fn granted_file_refusals_read_as_rust_prints_the_cause() {
        assert_eq!(
            grant_refusal("/d/no.jsonl", &OpenFailure::Os(os(2, "ENOENT", ""))),
            r#"invalid path "/d/no.jsonl": cannot be read (No such file or directory (os error 2)); set path to a readable local JSONL file"#
        );
        assert_eq!(
            grant_refusal(
                "/d/no.jsonl",
                &OpenFailure::Os(os(2, "", "No such file or directory"))
            ),
            grant_refusal("/d/no.jsonl", &OpenFailure::Os(os(2, "ENOENT", "")))
        );
        assert_eq!(
            grant_refusal("/d", &OpenFailure::NotRegular),
            r#"invalid path "/d": cannot read /d: not a regular file; set path to a readable local JSONL file"#
        );
        assert_eq!(
            read_failure("/d/a", &os(99, "EWHAT", "")),
            "cannot read /d/a: EWHAT (os error 99)"
        );
    }

    #[test]
    fn limits_and_lines() {
        assert_eq!(
            notice(&Notice::CpuLimit(1)),
            "the component used more than 1 s of CPU time and was stopped; raise OPENAI_FT_CPU_LIMIT_SECS if the input is legitimately this large"
        );
        assert_eq!(
            notice(&Notice::MemoryLimit(64)),
            "the component exceeded its memory limit of 64 MiB and was stopped; raise OPENAI_FT_MEMORY_LIMIT_MIB if the input is legitimately this large"
        );
        assert_eq!(error_line("a\nb\rc"), "openai-ft: a b c");
        assert_eq!(
            notice(&Notice::InvalidCommand("job".to_string())),
            r#"invalid command "job": give `<noun> <verb>`, for example "job read""#
        );
    }

    #[test]
    fn only_the_allocators_two_lines_are_withheld() {
        let note = "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace";
        assert_eq!(
            guest_stderr("memory allocation of 1048576 bytes failed", false),
            StderrLine::AllocFailure
        );
        assert_eq!(guest_stderr(note, true), StderrLine::Withhold);
        assert_eq!(guest_stderr(note, false), StderrLine::Show);
        assert_eq!(
            guest_stderr("memory allocation of  bytes failed", false),
            StderrLine::Show
        );
        assert_eq!(
            guest_stderr("openai-ft: job read: queued", true),
            StderrLine::Show
        );
    }
}
