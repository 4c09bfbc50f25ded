//! Text from a server made inert wherever it is printed: the one rule for every host's stderr
//! (progress lines, errors), for the values Terraform shows (the openai-ft component decodes
//! every answer through it), and for the GitHub Action's log.
//!
//! A server (or a gateway in front of it) chooses the words of a failed job's error, of its
//! events and of its error pages. Shown raw, an escape sequence paints the terminal, a carriage
//! return rewrites the line ("Apply complete!"), a line break starts a line of the tool's own,
//! and in an Actions log a line starting `::` or holding `##[` is a workflow command the runner
//! acts on (masking, annotations, outputs, `stop-commands`).

use alloc::string::String;
use core::fmt::{self, Write};

/// Whether `c` is one a terminal, a log viewer or a log parser may act on instead of showing:
/// the control characters (C0, DEL, C1: ESC, CR, LF, BEL, CSI...), the Unicode line and
/// paragraph separators, and the bidirectional formatting characters, which reorder what
/// follows them on screen.
pub fn acts(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// `text` as one inert line: each run of characters that [`acts`] becomes one space.
pub fn one_line(text: &str) -> String {
    let mut line = OneLine::new(String::with_capacity(text.len()));
    // Writing to a String cannot fail.
    let _ = line.write_str(text);
    line.into_inner()
}

/// Whether `text` is already what [`one_line`] makes of it.
pub fn is_one_line(text: &str) -> bool {
    !text.chars().any(acts)
}

/// Writes through to `out` with each run of characters that [`acts`] as one space.
pub struct OneLine<W> {
    out: W,
    /// The last character acted (already written as a space).
    broken: bool,
}

impl<W: Write> OneLine<W> {
    /// A writer into `out`.
    pub fn new(out: W) -> Self {
        Self { out, broken: false }
    }

    /// What it wrote into.
    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> Write for OneLine<W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            let acts = acts(c);
            if !acts {
                self.out.write_char(c)?;
            } else if !self.broken {
                self.out.write_char(' ')?;
            }
            self.broken = acts;
        }
        Ok(())
    }
}

/// Where a host prints a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    /// A terminal or a file: stderr, or what a host's API hands its caller.
    Terminal,
    /// A GitHub Actions step's log, which the runner parses for workflow commands.
    ActionsLog,
}

/// `text` as a host prints it to `sink`: [`one_line`], and for an Actions log with the workflow
/// commands' markers escaped as the Actions toolkit escapes a command's values (`%XX`): every
/// `:` next to another `:` as `%3A` (the runner takes a line that starts with `::` once trimmed
/// for a command), and the `[` of every `##[` as `%5B` (the runner's older syntax, looked for
/// anywhere in a line). What is left cannot start a command, whatever the line held.
pub fn shown(text: &str, sink: Sink) -> String {
    let line = one_line(text);
    if sink == Sink::Terminal {
        return line;
    }
    let mut out = String::with_capacity(line.len());
    let chars: alloc::vec::Vec<char> = line.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let before = |k: usize| i.checked_sub(k).map(|j| chars[j]);
        let colon_pair = c == ':' && (before(1) == Some(':') || chars.get(i + 1) == Some(&':'));
        let hash_bracket = c == '[' && before(1) == Some('#') && before(2) == Some('#');
        if colon_pair {
            out.push_str("%3A");
        } else if hash_bracket {
            out.push_str("%5B");
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of hostile text a server can put in a job's error or an event.
    const HOSTILE: &str = "\u{1b}[2J\u{1b}[31mError: fake\u{7}\r\nApply complete!\n::add-mask::sk-proj\n\
                           ::set-output name=id::ftjob-evil\r::stop-commands::tok\n ##[error]fake\u{9b}31m \
                           \u{202e}txet\u{2028}end";

    #[test]
    fn runs_of_acting_characters_become_one_space() {
        assert_eq!(one_line("a\r\n\r\nb\x1b[0m c\u{85}"), "a b [0m c ");
        assert_eq!(one_line("plain text: 50%"), "plain text: 50%");
        let line = one_line(HOSTILE);
        assert!(is_one_line(&line), "{line:?}");
        assert_eq!(
            line,
            " [2J [31mError: fake Apply complete! ::add-mask::sk-proj ::set-output name=id::ftjob-evil \
             ::stop-commands::tok  ##[error]fake 31m  txet end"
        );
    }

    #[test]
    fn an_actions_log_line_holds_no_workflow_command() {
        let line = shown(HOSTILE, Sink::ActionsLog);
        assert!(!line.contains("::") && !line.contains("##["), "{line}");
        assert!(is_one_line(&line));
        assert_eq!(
            shown("::error::x ##[group]y :: a:b ### [z ##[[", Sink::ActionsLog),
            "%3A%3Aerror%3A%3Ax ##%5Bgroup]y %3A%3A a:b ### [z ##%5B["
        );
        // A line of progress with nothing to neutralise is as it was.
        let plain = "openai-ft: job ensure: ftjob-1 running (step 3/10: loss 0.25, 30%)";
        assert_eq!(shown(plain, Sink::ActionsLog), plain);
        assert_eq!(shown(plain, Sink::Terminal), plain);
        // A third colon stays escaped: no `::` survives in any run.
        assert_eq!(shown(":::", Sink::ActionsLog), "%3A%3A%3A");
    }
}
