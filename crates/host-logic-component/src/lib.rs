//! The host logic as a component: binds the `host` world (`wit/host-logic.wit`) to
//! `openai-ft-host-logic`, which the Node and Python hosts load beside the openai-ft component.
//! No logic lives here; the type conversions are in [`convert`].
//!
//! The wasm build is `no_std`, so the component imports nothing, not even WASI: this file brings
//! the few things the standard library would (an allocator, the panic handler, `cabi_realloc`,
//! `memcmp`). A native build of this crate is only ever a type check.

#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

mod convert;

use alloc::string::String;
use alloc::vec::Vec;

use openai_ft_host_logic as logic;

// The bindings wit-bindgen generates from the WIT contract for the `host` world, committed
// (crates/host-logic/tests/bindings.rs fails when they are stale). The generated error types
// implement `std::error::Error` only under the `std` feature, which this crate never enables.
// Their `export!` is only called in the wasm build.
#[allow(unused_imports)]
mod bindings {
    include!("bindings.rs");
}
use bindings::exports;

use exports::openai::fine_tuning::host_logic as wit;

struct Component;

#[cfg(target_arch = "wasm32")]
bindings::export!(Component with_types_in bindings);

type Pairs = Vec<(String, String)>;

impl wit::Guest for Component {
    fn parse_input(command: String, bytes: Vec<u8>, source: String) -> Result<wit::Parsed, String> {
        logic::input::parse(&command, &bytes, &source).map(Into::into)
    }

    fn finish(output: Pairs, summary: bool) -> wit::Finished {
        logic::input::finish(output, summary).into()
    }

    fn bounds() -> wit::SizeBounds {
        wit::SizeBounds {
            input_bytes: logic::input::MAX_INPUT_BYTES as u32,
            read_bytes: logic::request::MAX_READ_BYTES,
            response_bytes: logic::request::MAX_RESPONSE_BYTES,
        }
    }

    fn variables() -> Vec<wit::Variable> {
        logic::config::VARIABLES
            .iter()
            .map(|v| wit::Variable {
                name: v.name.into(),
                secret: v.secret,
            })
            .collect()
    }

    fn white_space() -> String {
        logic::config::WHITE_SPACE.into()
    }

    fn configure(env: Pairs) -> wit::Configured {
        logic::config::configure(&env).into()
    }

    fn prepare(
        endpoint: wit::Endpoint,
        request: wit::Request,
        file_size: Option<u64>,
        seed: u64,
    ) -> Result<wit::Outgoing, wit::HttpError> {
        logic::request::prepare(&endpoint.into(), &request.into(), file_size, seed)
            .map(Into::into)
            .map_err(Into::into)
    }

    fn response_headers(headers: Pairs) -> Pairs {
        logic::request::response_headers(headers)
    }

    fn exchange_error(base: String, failure: wit::Failure) -> wit::HttpError {
        logic::request::exchange_error(&base, &failure.into()).into()
    }

    fn upload_error(path: String, stop: wit::UploadStop) -> wit::HttpError {
        logic::request::upload_error(&path, &stop.into()).into()
    }

    fn grant_refusal(path: String, why: wit::OpenFailure) -> String {
        logic::messages::grant_refusal(&path, &why.into())
    }

    fn read_failure(path: String, error: wit::OsError) -> String {
        logic::messages::read_failure(&path, &error.into())
    }

    fn cap_memory(module: Vec<u8>, mib: u32) -> Result<Option<wit::Splice>, String> {
        logic::wasm::cap_memory(&module, mib).map(|s| s.map(Into::into))
    }

    fn guest_stderr(line: String, after_alloc_failure: bool) -> wit::StderrLine {
        logic::messages::guest_stderr(&line, after_alloc_failure).into()
    }

    fn cli(
        program: wit::Program,
        args: Vec<String>,
        commands: Option<Vec<wit::CommandInfo>>,
    ) -> wit::CliStep {
        let commands = commands.map(convert::commands);
        logic::cli::step(&program.into(), &args, commands.as_deref()).into()
    }

    fn message(notice: wit::Notice) -> String {
        logic::messages::notice(&notice.into())
    }

    fn signin_message(notice: wit::SigninNotice) -> String {
        use logic::signin;
        match notice {
            wit::SigninNotice::SignedIn(s) => signin::signed_in(&s.into()),
            wit::SigninNotice::Failed((s, cause)) => signin::failed(&s.into(), &cause),
            wit::SigninNotice::NoneWorked(failures) => signin::none_worked(&failures),
            wit::SigninNotice::Refused((s, audience)) => {
                signin::refused(&s.into(), audience.into())
            }
        }
    }

    fn signin_scope(audience: wit::Audience) -> String {
        logic::signin::Audience::from(audience).scope()
    }

    fn refresh_due(obtained: u64, expires: u64, now: u64) -> bool {
        logic::signin::refresh_due(obtained, expires, now)
    }

    fn error_line(message: String) -> String {
        logic::messages::error_line(&message)
    }

    fn shown(text: String, sink: wit::Sink) -> String {
        logic::inert::shown(&text, sink.into())
    }
}

// What the standard library would bring, for the no_std wasm build.
#[cfg(target_arch = "wasm32")]
mod runtime {
    #[global_allocator]
    static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

    /// A panic is a bug here: it traps, and the host reports the trap.
    #[panic_handler]
    fn panic(_: &core::panic::PanicInfo) -> ! {
        core::arch::wasm32::unreachable()
    }

    /// The canonical ABI's allocator: where the host writes strings and lists it passes in.
    #[unsafe(no_mangle)]
    unsafe extern "C" fn cabi_realloc(
        old: *mut u8,
        old_len: usize,
        align: usize,
        new_len: usize,
    ) -> *mut u8 {
        use alloc::alloc::{Layout, alloc, realloc};
        if new_len == 0 {
            return align as *mut u8;
        }
        // SAFETY: the canonical ABI passes a power-of-two `align`, and `old` with `old_len` as
        // this function returned them.
        let ptr = unsafe {
            if old_len == 0 {
                alloc(Layout::from_size_align_unchecked(new_len, align))
            } else {
                realloc(
                    old,
                    Layout::from_size_align_unchecked(old_len, align),
                    new_len,
                )
            }
        };
        if ptr.is_null() {
            core::arch::wasm32::unreachable()
        }
        ptr
    }

    /// Slice comparisons compile to `memcmp`/`bcmp`, which wasm32-wasip2 expects from wasi-libc.
    /// Volatile reads keep the compiler from turning this loop back into a call to itself.
    #[unsafe(no_mangle)]
    unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
        for i in 0..n {
            // SAFETY: the caller passes `n` readable bytes at each pointer.
            let (x, y) = unsafe { (a.add(i).read_volatile(), b.add(i).read_volatile()) };
            if x != y {
                return i32::from(x) - i32::from(y);
            }
        }
        0
    }

    #[unsafe(no_mangle)]
    unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
        // SAFETY: as for `memcmp`.
        unsafe { memcmp(a, b, n) }
    }
}
