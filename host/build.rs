//! Builds the component for `wasm32-wasip2` with plain cargo, then precompiles it with the
//! runtime's own engine configuration (`openai-ft-engine-config`), so the shipped binary embeds
//! native code and never compiles wasm at run time. Both artifacts land in `OUT_DIR` for
//! `include_bytes!`. The test component (`crates/test-component`, runaway and introspection
//! commands) is built and precompiled beside it for the test-only host
//! (`examples/openai-ft-test-host.rs`); the binary never embeds it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

const WASM_TARGET: &str = "wasm32-wasip2";

fn main() -> Result<()> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let root = manifest_dir
        .parent()
        .context("host/ has no parent folder")?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let target = std::env::var("TARGET")?;

    for watched in [
        "wit",
        "crates/core",
        "crates/component",
        "crates/test-component",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    println!("cargo:rustc-env=OPENAI_FT_TARGET={target}");

    let built = build_components(root, &out_dir)?;
    let engine = wasmtime::Engine::new(&openai_ft_engine_config::config(&target)?)?;
    for (crate_name, artifact) in COMPONENTS {
        let wasm = built.join(format!("{}.wasm", crate_name.replace('-', "_")));
        let bytes = std::fs::read(&wasm)?;
        std::fs::write(out_dir.join(format!("{artifact}.wasm")), &bytes)?;
        let native = engine
            .precompile_component(&bytes)
            .map_err(|e| anyhow::anyhow!("precompiling {crate_name}: {e:?}"))?;
        std::fs::write(out_dir.join(format!("{artifact}.cwasm")), native)?;
    }
    Ok(())
}

/// The components built, by crate, and the name of their artifacts in `OUT_DIR`.
const COMPONENTS: [(&str, &str); 2] = [
    ("openai-ft-component", "openai-ft"),
    ("openai-ft-test-component", "openai-ft-test"),
];

/// Runs one nested `cargo build` of the component crates in its own target folder (sharing the
/// outer one would deadlock on cargo's lock) and returns the folder holding their `.wasm` files.
fn build_components(root: &Path, out_dir: &Path) -> Result<PathBuf> {
    // OUT_DIR is <target-dir>/<profile>/build/<pkg>-<hash>/out: keep the nested build beside
    // the outer one so it is cached across host rebuilds and cleaned by `cargo clean`.
    let target_dir = out_dir
        .ancestors()
        .nth(4)
        .map(|t| t.join("component"))
        .unwrap_or_else(|| out_dir.join("component"));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--release", "--target", WASM_TARGET]);
    for (crate_name, _) in COMPONENTS {
        cmd.args(["--package", crate_name]);
    }
    cmd.arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    // The outer build's flags are for the host target, not for wasm.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_WORKSPACE_WRAPPER",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd
        .status()
        .context("running cargo to build the component")?;
    if !status.success() {
        bail!(
            "building the wasm component failed; if the target is missing, run: rustup target add {WASM_TARGET}"
        );
    }
    Ok(target_dir.join(WASM_TARGET).join("release"))
}
