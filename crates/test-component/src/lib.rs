//! The test component: the `openai:fine-tuning` world with hostile commands instead of the
//! product's, so every host's tests can prove what the host promises (HOST.md, section 5) against
//! a guest that tries. The shipped component (`crates/component`) has none of this; the hosts'
//! tests load this one explicitly, and no shipped binary can be made to run it.
//!
//! - `selftest memory` allocates without end, `selftest cpu` computes without end: each returns
//!   only if the host's limit failed to stop it.
//! - `selftest env` reports everything the guest can read about its surroundings (environment
//!   variables, arguments, initial working directory), for the tests that check no key reaches
//!   the guest.
//! - `selftest send` sends one request the shipped component never would (input `path`,
//!   `credential` = `project` or `admin`, and `upload` = a file name to upload without a grant),
//!   so the tests see each host's own refusals: the admin key on Azure, a path outside the base,
//!   an upload of a file never granted.
//!
//! The typed exports exist only because the world requires them; they refuse.

// The export signatures, error type included, are generated from the WIT contract.
#![allow(clippy::result_large_err)]

// The shipped component's bindings, for the same world (crates/host-logic/tests/bindings.rs
// generates them). Their `export!` is only called in the wasm build.
#[allow(unused_imports)]
mod bindings {
    include!("../../component/src/bindings.rs");
}
use bindings::{exports, openai};

use exports::openai::fine_tuning::commands::CommandInfo;
use exports::openai::fine_tuning::files as wit_files;
use exports::openai::fine_tuning::jobs as wit_jobs;
use exports::openai::fine_tuning::permissions::Permission;
use exports::openai::fine_tuning::types::Error;

struct TestComponent;

// As in the shipped component: export symbols only exist in the wasm build.
#[cfg(target_arch = "wasm32")]
bindings::export!(TestComponent with_types_in bindings);

/// The commands, as `describe` lists them.
const SELFTESTS: &[(&str, &str)] = &[
    (
        "selftest memory",
        "allocate without end; returns only if the memory limit failed",
    ),
    (
        "selftest cpu",
        "compute without end; returns only if the CPU limit failed",
    ),
    (
        "selftest env",
        "report the guest's environment variables, arguments and initial working directory",
    ),
    (
        "selftest send",
        "send one request (path, credential, upload) and return its status or the host's refusal",
    ),
];

impl exports::openai::fine_tuning::commands::Guest for TestComponent {
    fn describe() -> Vec<CommandInfo> {
        SELFTESTS
            .iter()
            .map(|(name, summary)| CommandInfo {
                name: (*name).into(),
                summary: (*summary).into(),
                inputs: Vec::new(),
            })
            .collect()
    }

    fn run(command: String, input: Vec<(String, String)>) -> Result<Vec<(String, String)>, Error> {
        match command.as_str() {
            "selftest memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    // Touch every page so the growth is real, not just reserved.
                    hoard.push(vec![0xA5; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "selftest cpu" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            }
            "selftest env" => Ok(surroundings()),
            "selftest send" => send(&input),
            other => Err(Error::Failed(format!(
                "unknown command {other:?}: the test component runs only {}",
                SELFTESTS
                    .iter()
                    .map(|(name, _)| *name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
}

/// What the guest can read about where it runs, one line per item; a host that keeps its
/// promise gives three empty strings.
fn surroundings() -> Vec<(String, String)> {
    let environment: Vec<String> = std::env::vars_os()
        .map(|(k, v)| format!("{}={}", k.to_string_lossy(), v.to_string_lossy()))
        .collect();
    let arguments: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    vec![
        ("arguments".into(), arguments.join("\n")),
        ("environment".into(), environment.join("\n")),
        ("initial_cwd".into(), initial_cwd().unwrap_or_default()),
    ]
}

/// One request as the input describes it; the host's answer, or its refusal as the error.
fn send(input: &[(String, String)]) -> Result<Vec<(String, String)>, Error> {
    use openai::fine_tuning::http;
    let get = |key: &str| {
        input
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let body = get("upload").map(|filename| {
        http::Body::Multipart(vec![http::FormField::GrantedFile(http::GrantedFilePart {
            name: "file".into(),
            filename: filename.into(),
            sha256: "00".repeat(32),
        })])
    });
    let request = http::Request {
        method: if body.is_some() {
            http::Method::Post
        } else {
            http::Method::Get
        },
        target: http::Target::Api,
        path: get("path").unwrap_or("/models").into(),
        query: Vec::new(),
        body,
        cache: None,
        credential: match get("credential") {
            Some("admin") => http::Credential::Admin,
            _ => http::Credential::Project,
        },
    };
    match http::send(&request) {
        Ok(response) => Ok(vec![("status".into(), response.status.to_string())]),
        Err(http::Error::Denied(m)) => Err(Error::Denied(m)),
        Err(http::Error::Timeout(m)) => Err(Error::Timeout(m)),
        Err(http::Error::Transport(m)) => Err(Error::Transport(m)),
        Err(http::Error::MissingCredential(m)) => Err(Error::MissingCredential(m)),
        Err(http::Error::FileChanged(m)) => Err(Error::Failed(m)),
    }
}

/// `wasi:cli/environment.initial-cwd`, imported by hand (the standard library never asks: its
/// `current_dir` reports an emulated folder rather than what the host gave). The version is the
/// one the standard library's other WASI imports carry.
#[cfg(target_arch = "wasm32")]
fn initial_cwd() -> Option<String> {
    #[link(wasm_import_module = "wasi:cli/environment@0.2.6")]
    unsafe extern "C" {
        /// `func() -> option<string>`, lowered: the result is written at the pointer given
        /// (a discriminant byte, then the string's pointer and length at offsets 4 and 8).
        #[link_name = "initial-cwd"]
        fn initial_cwd(ret: *mut u8);
    }
    #[repr(C, align(4))]
    struct Ret([u8; 12]);
    let mut ret = Ret([0; 12]);
    // SAFETY: `ret` is the aligned 12-byte area the canonical ABI writes the result into.
    unsafe { initial_cwd(ret.0.as_mut_ptr()) };
    if ret.0[0] == 0 {
        return None;
    }
    let word =
        |at: usize| u32::from_le_bytes([ret.0[at], ret.0[at + 1], ret.0[at + 2], ret.0[at + 3]]);
    let (ptr, len) = (word(4) as usize as *mut u8, word(8) as usize);
    // SAFETY: the host allocated `len` bytes at `ptr` through this module's `cabi_realloc`
    // (the global allocator, alignment 1) and gave up ownership of them.
    let bytes = unsafe { Vec::from_raw_parts(ptr, len, len) };
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// A native build of this crate is only ever a type check.
#[cfg(not(target_arch = "wasm32"))]
fn initial_cwd() -> Option<String> {
    None
}

fn refused<T>() -> Result<T, Error> {
    Err(Error::Failed(
        "the test component offers only commands.run selftest ...".into(),
    ))
}

impl exports::openai::fine_tuning::jobs::Guest for TestComponent {
    fn read(_: String) -> Result<wit_jobs::Job, Error> {
        refused()
    }
    fn cancel(_: String) -> Result<wit_jobs::Job, Error> {
        refused()
    }
    fn pause(_: String) -> Result<wit_jobs::Job, Error> {
        refused()
    }
    fn resume(_: String) -> Result<wit_jobs::Job, Error> {
        refused()
    }
}

impl exports::openai::fine_tuning::files::Guest for TestComponent {
    fn validate(
        _: String,
        _: Option<wit_files::TrainingMethod>,
    ) -> Result<wit_files::Report, Error> {
        refused()
    }
    fn upload(
        _: String,
        _: Option<wit_files::TrainingMethod>,
    ) -> Result<wit_files::Uploaded, Error> {
        refused()
    }
}

impl exports::openai::fine_tuning::permissions::Guest for TestComponent {
    fn grant(_: String, _: Vec<String>) -> Result<Vec<Permission>, Error> {
        refused()
    }
    fn read(_: String) -> Result<Vec<Permission>, Error> {
        refused()
    }
    fn revoke(_: String, _: Vec<String>) -> Result<Vec<String>, Error> {
        refused()
    }
}
