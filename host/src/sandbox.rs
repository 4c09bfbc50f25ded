//! The one place the WIT bindings are generated and implemented: loads the embedded precompiled
//! component into a store that grants nothing but the host's own HTTP and input-file interfaces,
//! caps its memory, bounds its CPU time, and calls its exports.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Result, anyhow};
use wasmtime::component::{Component, HasData, HasSelf, Linker, ResourceTable};
use wasmtime::{Engine, ResourceLimiter, Store, StoreLimits, StoreLimitsBuilder, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::config::Limits;
use crate::granted::GrantedFile;
use crate::http::Client;

wasmtime::component::bindgen!({
    path: "../wit",
    world: "openai-ft",
});

pub use exports::openai::fine_tuning::commands::CommandInfo;
pub use exports::openai::fine_tuning::types::Error as GuestError;
pub use openai::fine_tuning::http as wit_http;
use openai::fine_tuning::input_file;

/// The component the binary runs, as portable wasm (for `openai-ft component`).
pub const COMPONENT_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/openai-ft.wasm"));
/// The same component, compiled ahead of time for this target by `build.rs`.
const NATIVE_LEN: usize = include_bytes!(concat!(env!("OUT_DIR"), "/openai-ft.cwasm")).len();

#[repr(C, align(65536))]
struct PageAligned<T>(T);

/// On Linux the precompiled component is linked into the executable's own code segment, page
/// aligned, so wasmtime can run it in place: no copy, no `mprotect`, and its pages are shared
/// with the page cache rather than counted as the process's own.
#[cfg(target_os = "linux")]
#[unsafe(link_section = ".text.openai_ft_component")]
static COMPONENT_NATIVE: PageAligned<[u8; NATIVE_LEN]> = PageAligned(*include_bytes!(concat!(
    env!("OUT_DIR"),
    "/openai-ft.cwasm"
)));

#[cfg(not(target_os = "linux"))]
static COMPONENT_NATIVE: PageAligned<[u8; NATIVE_LEN]> = PageAligned(*include_bytes!(concat!(
    env!("OUT_DIR"),
    "/openai-ft.cwasm"
)));

/// Code memory that is executable already (the component sits in the binary's text segment), so
/// publishing it is a no-op.
#[cfg(target_os = "linux")]
struct InPlaceCode;

#[cfg(target_os = "linux")]
impl wasmtime::CustomCodeMemory for InPlaceCode {
    fn required_alignment(&self) -> usize {
        1
    }

    fn publish_executable(&self, _ptr: *const u8, _len: usize) -> wasmtime::Result<()> {
        Ok(())
    }

    fn unpublish_executable(&self, _ptr: *const u8, _len: usize) -> wasmtime::Result<()> {
        Ok(())
    }
}

/// How much CPU time passes between epoch ticks; the guest's CPU time is checked at each tick.
const TICK: Duration = Duration::from_millis(20);

/// The store's data: WASI (granting nothing), the host's capabilities, and the limits' state.
struct Host {
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: Limiter,
    http: Arc<Client>,
    file: Option<GrantedFile>,
}

/// `StoreLimits`, remembering whether it had to refuse memory so the error can say so.
struct Limiter {
    limits: StoreLimits,
    refused: bool,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.limits.memory_growing(current, desired, max);
        self.refused |= !matches!(allowed, Ok(true));
        allowed
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, max)
    }
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl wit_http::Host for Host {
    fn flavor(&mut self) -> wit_http::ApiFlavor {
        match self.http.flavor() {
            crate::config::Flavor::OpenAi => wit_http::ApiFlavor::Openai,
            crate::config::Flavor::Azure => wit_http::ApiFlavor::Azure,
            crate::config::Flavor::AzureClassic => wit_http::ApiFlavor::AzureClassic,
        }
    }

    fn send(&mut self, request: wit_http::Request) -> Result<wit_http::Response, wit_http::Error> {
        self.http.send(&request, self.file.as_ref())
    }
}

impl input_file::Host for Host {
    fn size(&mut self) -> Result<u64, input_file::Error> {
        self.granted().map(GrantedFile::size)
    }

    fn read(&mut self, offset: u64, len: u32) -> Result<Vec<u8>, input_file::Error> {
        self.granted()?
            .read(offset, len)
            .map_err(input_file::Error::Io)
    }
}

impl Host {
    fn granted(&self) -> Result<&GrantedFile, input_file::Error> {
        self.file
            .as_ref()
            .ok_or_else(|| input_file::Error::Denied("this command was not given a file".into()))
    }
}

/// The engine and the loaded component, ready to instantiate.
///
/// A process loads one and runs one command in it, so it lives as long as the process: it and
/// the store it runs in are never dropped. Tearing them down (the engine's type registry, the
/// component's metadata, the linker's name maps, the instance) would spend a tenth of a
/// `job read`'s CPU time on frees that exiting does at once.
pub struct Sandbox {
    engine: Engine,
    component: Component,
    linker: Linker<Host>,
    limits: Limits,
}

impl Sandbox {
    /// Loads the embedded precompiled component, for the rest of the process.
    pub fn load(limits: Limits) -> Result<&'static Self> {
        let mut config = openai_ft_engine_config::config(env!("OPENAI_FT_TARGET"))?;
        #[cfg(target_os = "linux")]
        config.with_custom_code_memory(Some(Arc::new(InPlaceCode)));
        let engine = Engine::new(&config)?;
        // SAFETY: the bytes were produced by `Engine::precompile_component` in this crate's
        // build script, with the same wasmtime version and engine configuration, and are
        // embedded read-only in this binary for its whole lifetime.
        #[cfg(target_os = "linux")]
        let component = unsafe {
            Component::deserialize_raw(&engine, std::ptr::NonNull::from(&COMPONENT_NATIVE.0[..]))
        };
        #[cfg(not(target_os = "linux"))]
        let component = unsafe { Component::deserialize(&engine, &COMPONENT_NATIVE.0[..]) };
        let component = component.map_err(|e| anyhow!("loading the embedded component: {e}"))?;
        let mut linker = Linker::new(&engine);
        link_wasi(&mut linker)?;
        OpenaiFt::add_to_linker::<_, HasSelf<_>>(&mut linker, |h| h)?;
        Ok(Box::leak(Box::new(Self {
            engine,
            component,
            linker,
            limits,
        })))
    }

    /// Runs `f` against a fresh instance, enforcing the limits; a guest that breaks one ends
    /// with an error that names the limit.
    fn call<R>(
        &self,
        http: Arc<Client>,
        file: Option<GrantedFile>,
        f: impl FnOnce(&OpenaiFt, &mut Store<Host>) -> wasmtime::Result<R>,
    ) -> Result<R> {
        // Nothing is inherited: no environment, arguments, preopened folders or sockets;
        // stdout stays the host's (it carries the protocol); stderr carries progress.
        let wasi = WasiCtx::builder()
            .inherit_stderr()
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let limiter = Limiter {
            limits: StoreLimitsBuilder::new()
                .memory_size(self.limits.memory)
                .instances(4)
                // Trap at the failed growth itself, so the guest cannot print its own
                // allocation-failure lines before the host's one-line error.
                .trap_on_grow_failure(true)
                .build(),
            refused: false,
        };
        let host = Host {
            wasi,
            table: ResourceTable::new(),
            limiter,
            http,
            file,
        };
        // Never dropped, like the sandbox: see [`Sandbox`].
        let mut store = std::mem::ManuallyDrop::new(Store::new(&self.engine, host));
        store.limiter(|h| &mut h.limiter);

        let cpu_exceeded = Arc::new(AtomicBool::new(false));
        let start = thread_cpu_time();
        let budget = self.limits.cpu;
        let flag = cpu_exceeded.clone();
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            if thread_cpu_time().saturating_sub(start) > budget {
                flag.store(true, Ordering::Relaxed);
                return Ok(UpdateDeadline::Interrupt);
            }
            Ok(UpdateDeadline::Continue(1))
        });
        cpu_ticker::start(&self.engine);

        let result = OpenaiFt::instantiate(&mut *store, &self.component, &self.linker)
            .and_then(|bindings| f(&bindings, &mut store));
        cpu_ticker::stop();
        result.map_err(|trap| {
            if store.data().limiter.refused {
                anyhow!(
                    "the component exceeded its memory limit of {} MiB and was stopped; raise \
                     OPENAI_FT_MEMORY_LIMIT_MIB if the input is legitimately this large",
                    self.limits.memory >> 20
                )
            } else if cpu_exceeded.load(Ordering::Relaxed) {
                anyhow!(
                    "the component used more than {} s of CPU time and was stopped; raise \
                     OPENAI_FT_CPU_LIMIT_SECS if the input is legitimately this large",
                    self.limits.cpu.as_secs_f64()
                )
            } else {
                anyhow!("the component failed (a bug in openai-ft, please report it): {trap:#}")
            }
        })
    }

    /// Lists the component's commands.
    pub fn describe(&self, http: Arc<Client>) -> Result<Vec<CommandInfo>> {
        self.call(http, None, |b, store| {
            b.openai_fine_tuning_commands().call_describe(store)
        })
    }

    /// Runs one command through the generic entry.
    pub fn run(
        &self,
        http: Arc<Client>,
        file: Option<GrantedFile>,
        command: &str,
        input: &[(String, String)],
    ) -> Result<Result<Vec<(String, String)>, GuestError>> {
        self.call(http, file, |b, store| {
            b.openai_fine_tuning_commands()
                .call_run(store, command, input)
        })
    }
}

/// Links the WASI interfaces the component imports, and only those: Rust's standard library
/// for `wasm32-wasip2` imports the CLI world's environment, exit, standard streams and terminals,
/// the clocks, the insecure random seed and the I/O streams they return. Filesystem and sockets
/// are not linked at all, so a component that imported them would fail to instantiate (the
/// tests would say so) rather than get a denied capability; and every interface linked costs
/// each run its name lookups.
fn link_wasi(linker: &mut Linker<Host>) -> Result<()> {
    use wasmtime_wasi::cli::{WasiCli, WasiCliView};
    use wasmtime_wasi::clocks::{WasiClocks, WasiClocksView};
    use wasmtime_wasi::p2::bindings::sync::io;
    use wasmtime_wasi::p2::bindings::{cli, clocks, random};
    use wasmtime_wasi::random::{WasiRandom, WasiRandomView};

    /// The I/O interfaces work on the resource table alone.
    struct Io;
    impl HasData for Io {
        type Data<'a> = &'a mut ResourceTable;
    }
    fn table(host: &mut Host) -> &mut ResourceTable {
        &mut host.table
    }

    let l = linker;
    io::error::add_to_linker::<Host, Io>(l, table)?;
    io::poll::add_to_linker::<Host, Io>(l, table)?;
    io::streams::add_to_linker::<Host, Io>(l, table)?;
    clocks::wall_clock::add_to_linker::<Host, WasiClocks>(l, Host::clocks)?;
    clocks::monotonic_clock::add_to_linker::<Host, WasiClocks>(l, Host::clocks)?;
    random::insecure_seed::add_to_linker::<Host, WasiRandom>(l, Host::random)?;
    cli::environment::add_to_linker::<Host, WasiCli>(l, Host::cli)?;
    cli::exit::add_to_linker::<Host, WasiCli>(l, Host::cli)?;
    cli::stdin::add_to_linker::<Host, WasiCli>(l, Host::cli)?;
    cli::stdout::add_to_linker::<Host, WasiCli>(l, Host::cli)?;
    cli::stderr::add_to_linker::<Host, WasiCli>(l, Host::cli)?;
    cli::terminal_input::add_to_linker::<Host, WasiCli>(l, Host::cli)?;
    cli::terminal_output::add_to_linker::<Host, WasiCli>(l, Host::cli)?;
    cli::terminal_stdin::add_to_linker::<Host, WasiCli>(l, Host::cli)?;
    cli::terminal_stdout::add_to_linker::<Host, WasiCli>(l, Host::cli)?;
    cli::terminal_stderr::add_to_linker::<Host, WasiCli>(l, Host::cli)?;
    Ok(())
}

/// Advances the engine's epoch for every [`TICK`] of CPU time the process uses, from a
/// `SIGVTALRM` interval timer: no thread to start, and no ticks at all while the guest waits for
/// the network or sleeps between polls.
mod cpu_ticker {
    use std::sync::OnceLock;

    use wasmtime::Engine;

    use super::TICK;

    static ENGINE: OnceLock<Engine> = OnceLock::new();

    extern "C" fn tick(_signal: libc::c_int) {
        // Async-signal-safe: an initialised OnceLock read and an atomic add.
        if let Some(engine) = ENGINE.get() {
            engine.increment_epoch();
        }
    }

    fn interval(tick: std::time::Duration) -> libc::itimerval {
        let t = libc::timeval {
            tv_sec: tick.as_secs() as libc::time_t,
            tv_usec: tick.subsec_micros() as libc::suseconds_t,
        };
        libc::itimerval {
            it_interval: t,
            it_value: t,
        }
    }

    pub fn start(engine: &Engine) {
        let _ = ENGINE.set(engine.clone());
        // SAFETY: plain POSIX calls with valid, initialised arguments; the handler only does
        // async-signal-safe work, and SA_RESTART keeps interrupted reads and writes going.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = tick as *const () as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGVTALRM, &action, std::ptr::null_mut());
            libc::setitimer(libc::ITIMER_VIRTUAL, &interval(TICK), std::ptr::null_mut());
        }
    }

    pub fn stop() {
        // SAFETY: as above; a zero interval disarms the timer.
        unsafe {
            libc::setitimer(
                libc::ITIMER_VIRTUAL,
                &interval(std::time::Duration::ZERO),
                std::ptr::null_mut(),
            );
        }
    }
}

/// CPU time consumed by the calling thread.
fn thread_cpu_time() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid, writable timespec; this clock exists on every supported system.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}
