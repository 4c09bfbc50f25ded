//! The one wasmtime configuration, shared by the host's `build.rs` (which precompiles the
//! component) and its runtime (which loads it): a precompiled component only loads into an engine
//! configured the same way, so both sides call this one function rather than keep two copies in
//! step.

/// The engine configuration for `target` (a target triple).
pub fn config(target: &str) -> wasmtime::Result<wasmtime::Config> {
    let mut config = wasmtime::Config::new();
    config.target(target)?;
    // Epoch checks let the host stop a guest that computes without end; they are compiled into
    // the code, so precompile and run must agree.
    config.epoch_interruption(true);
    config.wasm_component_model(true);
    Ok(config)
}
