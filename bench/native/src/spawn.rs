//! `openai-ft-bench-spawn --runs N --stdin FILE -- COMMAND [ARGS...]`: runs COMMAND N times, one
//! after the other, with FILE on stdin and stdout/stderr discarded, and prints one line per run:
//! `<wall ns> <peak RSS KiB> <exit status>`.
//!
//! It exists because a child's `ru_maxrss` is at least the RSS of the process that spawned it:
//! at `exec` Linux records the old address space's high-water mark, and after `fork` or `vfork`
//! that is the parent's. Spawned from Python (10+ MiB), every child would "peak" at Python's size;
//! spawned from this small program, the floor is its own 1-2 MiB, visible with `/bin/true`.

use std::fs::File;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("openai-ft-bench-spawn: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: openai-ft-bench-spawn --runs N --stdin FILE -- COMMAND [ARGS...]";
    let (options, command) = match args.iter().position(|a| a == "--") {
        Some(i) if i + 1 < args.len() => (&args[..i], &args[i + 1..]),
        _ => return Err(usage.into()),
    };
    let (runs, stdin) = match options {
        [r, n, s, path] if r == "--runs" && s == "--stdin" => {
            let runs: u32 = n
                .parse()
                .map_err(|_| format!("invalid --runs {n:?}: must be a whole number"))?;
            (runs, path)
        }
        _ => return Err(usage.into()),
    };
    let mut out = String::new();
    for _ in 0..runs {
        let input = File::open(stdin).map_err(|e| format!("cannot read {stdin}: {e}"))?;
        let mut cmd = Command::new(&command[0]);
        cmd.args(&command[1..])
            .stdin(input)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let start = Instant::now();
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot run {:?}: {e}", command[0]))?;
        let (status, maxrss_kib) = wait4(child.id())?;
        let wall = start.elapsed();
        out.push_str(&format!("{} {maxrss_kib} {status}\n", wall.as_nanos()));
    }
    print!("{out}");
    Ok(())
}

/// Waits for `pid` and returns its exit status (128 + signal if killed) and its own peak RSS.
fn wait4(pid: u32) -> Result<(i32, i64), String> {
    let pid = pid as libc::pid_t;
    let mut status = 0;
    // SAFETY: `rusage` is plain data that wait4 fills in; all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: valid pointers to locals; `pid` is our own child, not yet reaped (std's
        // `Child` never waited for it).
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait4: {e}"));
        }
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    Ok((code, usage.ru_maxrss))
}
