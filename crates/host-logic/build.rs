//! Reads the WIT package `wit/world.wit` declares, so the version every host reports is the
//! contract's own rather than a copy typed again.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let wit = concat!(env!("CARGO_MANIFEST_DIR"), "/../../wit/world.wit");
    println!("cargo:rerun-if-changed={wit}");
    let text = std::fs::read_to_string(wit)?;
    let package = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("package "))
        .map(|p| p.trim_end_matches(';').trim())
        .ok_or("wit/world.wit has no `package` line")?;
    println!("cargo:rustc-env=OPENAI_FT_WIT_PACKAGE={package}");
    Ok(())
}
