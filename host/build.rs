//! Builds the components for `wasm32-wasip2` with plain cargo, then precompiles them with the
//! runtime's own engine configuration (`openai-ft-engine-config`), so the shipped binary embeds
//! native code and never compiles wasm at run time. Two builds of the product: the full component
//! (it counts tokens: the `file` commands, and the portable `openai-ft component`), and a lean one
//! without the tokenizers, for every other command: their ranks are 5 MB of data that wasmtime
//! would copy into a memory image in every process that instantiates the component, `job read`
//! included. The test component (`crates/test-component`, runaway and introspection commands) is
//! built beside the full one for the test-only host (`examples/openai-ft-test-host.rs`); the
//! binary never embeds it. The host logic's component (`crates/host-logic-component`), which the
//! Node and Python hosts load, is built too, in its own build, and embedded as portable wasm only,
//! for `openai-ft component host-logic`. The artifacts land in `OUT_DIR` for `include_bytes!`.
//! The components' bindings to the WIT are committed (`crates/host-logic/tests/bindings.rs`
//! generates them), so none of these builds compiles wit-bindgen's macro and its code generator.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

const WASM_TARGET: &str = "wasm32-wasip2";

/// One nested build: its own target folder (so no build rebuilds another's features), its cargo
/// feature flags, the components it builds, by crate, with the name of their artifacts, and
/// whether the host runs them (then they are precompiled).
struct Build {
    folder: &'static str,
    flags: &'static [&'static str],
    components: &'static [(&'static str, &'static str)],
    precompile: bool,
}

const BUILDS: [Build; 3] = [
    Build {
        folder: "component",
        flags: &[],
        components: &[
            ("openai-ft-component", "openai-ft"),
            ("openai-ft-test-component", "openai-ft-test"),
        ],
        precompile: true,
    },
    Build {
        folder: "component-lean",
        flags: &["--no-default-features"],
        components: &[("openai-ft-component", "openai-ft-lean")],
        precompile: true,
    },
    // The host logic, for the Node and Python hosts (`openai-ft component host-logic`); this host
    // links the crate itself. Its own build: it is no_std, and sharing a build with the others
    // would turn on serde_json's std feature for it.
    Build {
        folder: "host-logic",
        flags: &[],
        components: &[("openai-ft-host-logic-component", "openai-ft-host-logic")],
        precompile: false,
    },
];

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
        "crates/host-logic",
        "crates/host-logic-component",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    println!("cargo:rustc-env=OPENAI_FT_TARGET={target}");
    // The runtime `openai-ft --version` names, from the lock file rather than typed again.
    let lock = std::fs::read_to_string(root.join("Cargo.lock"))?;
    println!(
        "cargo:rustc-env=OPENAI_FT_WASMTIME_VERSION={}",
        locked_version(&lock, "wasmtime").context("Cargo.lock has no wasmtime")?
    );

    let engine = wasmtime::Engine::new(&openai_ft_engine_config::config(&target)?)?;
    // The three builds run at once: each ends in a long single-threaded link (LTO, one codegen
    // unit), so one after the other they would leave a core idle for minutes.
    let running = BUILDS
        .iter()
        .map(|build| start_build(root, &out_dir, build))
        .collect::<Result<Vec<_>>>()?;
    let mut running = running.into_iter();
    for build in &BUILDS {
        let child = running.next().context("one nested build per entry")?;
        let built = match finish_build(child) {
            Ok(built) => built,
            Err(e) => {
                // The others would only build what is not used now.
                for (mut other, _) in running {
                    let _ = other.kill();
                    let _ = other.wait();
                }
                return Err(e);
            }
        };
        for (crate_name, artifact) in build.components {
            let wasm = built.join(format!("{}.wasm", crate_name.replace('-', "_")));
            let bytes = std::fs::read(&wasm)?;
            std::fs::write(out_dir.join(format!("{artifact}.wasm")), &bytes)?;
            if !build.precompile {
                continue;
            }
            let native = engine
                .precompile_component(&bytes)
                .map_err(|e| anyhow::anyhow!("precompiling {artifact}: {e:?}"))?;
            std::fs::write(out_dir.join(format!("{artifact}.cwasm")), native)?;
        }
    }
    Ok(())
}

/// The version of `name` that Cargo.lock pins.
fn locked_version<'a>(lock: &'a str, name: &str) -> Option<&'a str> {
    let entry = format!("name = \"{name}\"\nversion = \"");
    let start = lock.find(&entry)? + entry.len();
    lock[start..].split('"').next()
}

/// Starts one nested `cargo build` of `build`'s crates in its own target folder (sharing the
/// outer one would deadlock on cargo's lock); [`finish_build`] waits for it.
fn start_build(
    root: &Path,
    out_dir: &Path,
    build: &Build,
) -> Result<(std::process::Child, PathBuf)> {
    // OUT_DIR is <target-dir>/<profile>/build/<pkg>-<hash>/out: keep the nested build beside
    // the outer one so it is cached across host rebuilds and cleaned by `cargo clean`.
    let target_dir = out_dir
        .ancestors()
        .nth(4)
        .map(|t| t.join(build.folder))
        .unwrap_or_else(|| out_dir.join(build.folder));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--release", "--target", WASM_TARGET]);
    for (crate_name, _) in build.components {
        cmd.args(["--package", crate_name]);
    }
    cmd.args(build.flags)
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
    let child = cmd
        .spawn()
        .context("running cargo to build the component")?;
    Ok((child, target_dir.join(WASM_TARGET).join("release")))
}

/// Waits for a nested build; returns the folder holding its `.wasm` files.
fn finish_build((mut child, built): (std::process::Child, PathBuf)) -> Result<PathBuf> {
    let status = child
        .wait()
        .context("waiting for cargo to build the component")?;
    if !status.success() {
        bail!(
            "building the wasm component failed; if the target is missing, run: rustup target add {WASM_TARGET}"
        );
    }
    Ok(built)
}
