//! Builds the component for `wasm32-wasip2` with plain cargo, then precompiles it with the
//! runtime's own engine configuration (`openai-ft-engine-config`), so the shipped binary embeds
//! native code and never compiles wasm at run time. Two builds: the full component (it counts
//! tokens: the `file` commands, and the portable `openai-ft component`), and a lean one without
//! the tokenizers, for every other command: their ranks are 5 MB of data that wasmtime would copy
//! into a memory image in every process that instantiates the component, `job read` included.
//! The artifacts land in `OUT_DIR` for `include_bytes!`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

const WASM_TARGET: &str = "wasm32-wasip2";

/// Each build: its artifacts' name, its own nested target folder (so neither rebuilds the other)
/// and its cargo feature flags.
const BUILDS: [(&str, &str, &[&str]); 2] = [
    ("openai-ft", "component", &[]),
    (
        "openai-ft-lean",
        "component-lean",
        &["--no-default-features"],
    ),
];

fn main() -> Result<()> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let root = manifest_dir
        .parent()
        .context("host/ has no parent folder")?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let target = std::env::var("TARGET")?;

    for watched in ["wit", "crates/core", "crates/component", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    println!("cargo:rustc-env=OPENAI_FT_TARGET={target}");

    let engine = wasmtime::Engine::new(&openai_ft_engine_config::config(&target)?)?;
    for (name, folder, flags) in BUILDS {
        let wasm = build_component(root, &out_dir, folder, flags)?;
        std::fs::copy(&wasm, out_dir.join(format!("{name}.wasm")))?;
        let bytes = std::fs::read(&wasm)?;
        let native = engine
            .precompile_component(&bytes)
            .map_err(|e| anyhow::anyhow!("precompiling the component ({name}): {e:?}"))?;
        std::fs::write(out_dir.join(format!("{name}.cwasm")), native)?;
    }
    Ok(())
}

/// Runs a nested `cargo build` of the component crate with `flags` in its own target folder
/// (sharing the outer one would deadlock on cargo's lock) and returns the `.wasm` path.
fn build_component(root: &Path, out_dir: &Path, folder: &str, flags: &[&str]) -> Result<PathBuf> {
    // OUT_DIR is <target-dir>/<profile>/build/<pkg>-<hash>/out: keep the nested build beside
    // the outer one so it is cached across host rebuilds and cleaned by `cargo clean`.
    let target_dir = out_dir
        .ancestors()
        .nth(4)
        .map(|t| t.join(folder))
        .unwrap_or_else(|| out_dir.join(folder));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args([
        "build",
        "--release",
        "--package",
        "openai-ft-component",
        "--target",
        WASM_TARGET,
    ])
    .args(flags)
    .arg("--manifest-path")
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
    Ok(target_dir
        .join(WASM_TARGET)
        .join("release")
        .join("openai_ft_component.wasm"))
}
