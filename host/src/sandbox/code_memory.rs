//! The precompiled component, embedded in the binary and run in place: on Linux it is linked into
//! the executable's own code segment, page aligned, so wasmtime needs no copy, no `mprotect`, and
//! its pages are shared with the page cache rather than counted as the process's own.

use anyhow::{Result, anyhow};
use wasmtime::component::Component;
use wasmtime::{Config, Engine};

use super::Build;

#[repr(C, align(65536))]
struct PageAligned<T>(T);

/// Embeds one precompiled build from `OUT_DIR` as a page-aligned static, in the executable's
/// code segment on Linux.
macro_rules! precompiled {
    ($name:ident, $file:literal) => {
        #[cfg(target_os = "linux")]
        #[unsafe(link_section = ".text.openai_ft_component")]
        static $name: PageAligned<
            [u8; include_bytes!(concat!(env!("OUT_DIR"), "/", $file)).len()],
        > = PageAligned(*include_bytes!(concat!(env!("OUT_DIR"), "/", $file)));

        #[cfg(not(target_os = "linux"))]
        static $name: PageAligned<
            [u8; include_bytes!(concat!(env!("OUT_DIR"), "/", $file)).len()],
        > = PageAligned(*include_bytes!(concat!(env!("OUT_DIR"), "/", $file)));
    };
}

// The same component as [`super::COMPONENT_WASM`], compiled ahead of time for this target by
// `build.rs`; and its lean build, without the tokenizers.
precompiled!(FULL, "openai-ft.cwasm");
precompiled!(LEAN, "openai-ft-lean.cwasm");

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

/// Tells the engine the component's code is executable where it lies.
pub(super) fn configure(config: &mut Config) {
    #[cfg(target_os = "linux")]
    config.with_custom_code_memory(Some(std::sync::Arc::new(InPlaceCode)));
    #[cfg(not(target_os = "linux"))]
    let _ = config;
}

/// Loads the embedded precompiled `build` of the component into `engine` (configured by
/// [`configure`]).
pub(super) fn component(engine: &Engine, build: Build) -> Result<Component> {
    let bytes: &'static [u8] = match build {
        Build::Full => &FULL.0,
        Build::Lean => &LEAN.0,
    };
    // SAFETY: the bytes were produced by `Engine::precompile_component` in this crate's build
    // script, with the same wasmtime version and engine configuration
    // (`openai_ft_engine_config::config`), and are embedded read-only in this binary for its
    // whole lifetime.
    #[cfg(target_os = "linux")]
    let component = unsafe { Component::deserialize_raw(engine, std::ptr::NonNull::from(bytes)) };
    #[cfg(not(target_os = "linux"))]
    let component = unsafe { Component::deserialize(engine, bytes) };
    component.map_err(|e| anyhow!("loading the embedded component: {e}"))
}
