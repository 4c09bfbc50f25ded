//! The sandbox: loads the embedded precompiled component (`code_memory`) into a store that grants
//! nothing but the host's own HTTP and input-file interfaces (`store`, `imports`), caps its
//! memory and bounds its CPU time (`limits`), and calls its exports.

mod code_memory;
mod imports;
mod limits;
mod stderr;
mod store;

use std::sync::Arc;

use anyhow::Result;
use wasmtime::Engine;
use wasmtime::component::{Component, HasSelf, Linker};

use self::limits::CpuBudget;
use self::store::Host;
use crate::bindings::{CommandInfo, GuestError, OpenaiFt};
use crate::config::Limits;
use crate::granted::GrantedFile;
use crate::http::Client;

/// The component the binary runs, as portable wasm (for `openai-ft component`).
pub const COMPONENT_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/openai-ft.wasm"));

/// Which build of the component runs a command: only the `file` commands count tokens, so only
/// they load the full build, with the tokenizers' ranks in its memory image; every other command
/// (`job read` above all) runs the lean one and never pays for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Build {
    Full,
    Lean,
}

impl Build {
    pub fn for_noun(noun: &str) -> Self {
        match noun {
            "file" => Build::Full,
            _ => Build::Lean,
        }
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
    /// Loads the embedded precompiled `build` of the component, for the rest of the process.
    pub fn load(limits: Limits, build: Build) -> Result<&'static Self> {
        let mut config = openai_ft_engine_config::config(env!("OPENAI_FT_TARGET"))?;
        code_memory::configure(&mut config);
        let engine = Engine::new(&config)?;
        let component = code_memory::component(&engine, build)?;
        Self::with(engine, component, limits)
    }

    /// Loads another component precompiled by this crate's build script, for the rest of the
    /// process: the test-only host runs the test component this way (`examples/`). The shipped
    /// binary never calls it; nothing a user sets can swap its component.
    ///
    /// # Safety
    ///
    /// `native` must come from `Engine::precompile_component` with this crate's wasmtime and
    /// `openai_ft_engine_config::config` for this target (deserialising runs its code).
    pub unsafe fn load_precompiled(native: &'static [u8], limits: Limits) -> Result<&'static Self> {
        let engine = Engine::new(&openai_ft_engine_config::config(env!("OPENAI_FT_TARGET"))?)?;
        // SAFETY: as the caller promised.
        let component = unsafe { Component::deserialize(&engine, native) }
            .map_err(|e| anyhow::anyhow!("loading the precompiled component: {e}"))?;
        Self::with(engine, component, limits)
    }

    fn with(engine: Engine, component: Component, limits: Limits) -> Result<&'static Self> {
        let mut linker = Linker::new(&engine);
        store::link_wasi(&mut linker)?;
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
        f: impl FnOnce(&OpenaiFt, &mut wasmtime::Store<Host>) -> wasmtime::Result<R>,
    ) -> Result<R> {
        let host = Host::new(&self.limits, http, file);
        // Never dropped, like the sandbox: see [`Sandbox`].
        let mut store = std::mem::ManuallyDrop::new(wasmtime::Store::new(&self.engine, host));
        store.limiter(|h| &mut h.limiter);
        let cpu = CpuBudget::arm(&mut store, &self.engine, self.limits.cpu);
        let result = OpenaiFt::instantiate(&mut *store, &self.component, &self.linker)
            .and_then(|bindings| f(&bindings, &mut store));
        cpu.disarm();
        result.map_err(|trap| limits::trap_error(&self.limits, &store.data().limiter, &cpu, trap))
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
