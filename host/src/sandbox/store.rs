//! The store's data: WASI (granting nothing, and linking only the interfaces the component
//! imports), the host's capabilities (the HTTP client and the granted file) and the limiter's
//! state. The host's own imports the guest calls are in `imports.rs`; its stderr, in `stderr.rs`.

use std::sync::Arc;

use anyhow::Result;
use wasmtime::component::{HasData, Linker, ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::limits::Limiter;
use super::stderr::RedactedStderr;
use crate::config::Limits;
use crate::granted::GrantedFile;
use crate::http::Client;

pub(super) struct Host {
    pub(super) wasi: WasiCtx,
    pub(super) table: ResourceTable,
    pub(super) limiter: Limiter,
    pub(super) http: Arc<Client>,
    pub(super) file: Option<GrantedFile>,
}

impl Host {
    pub(super) fn new(limits: &Limits, http: Arc<Client>, file: Option<GrantedFile>) -> Self {
        // Nothing is inherited: no environment, arguments, preopened folders or sockets;
        // stdout stays the host's (it carries the protocol); stderr carries progress, redacted.
        let wasi = WasiCtx::builder()
            .stderr(RedactedStderr(http.redactor()))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            limiter: Limiter::new(limits),
            http,
            file,
        }
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

/// Links the WASI interfaces the component imports, and only those: Rust's standard library
/// for `wasm32-wasip2` imports the CLI world's environment, exit, standard streams and terminals,
/// the clocks, the insecure random seed and the I/O streams they return. Filesystem and sockets
/// are not linked at all, so a component that imported them would fail to instantiate (the
/// tests would say so) rather than get a denied capability; and every interface linked costs
/// each run its name lookups.
pub(super) fn link_wasi(linker: &mut Linker<Host>) -> Result<()> {
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
