//! What the tests that generate files from the WIT share.

use std::path::Path;

/// The repository's root.
pub fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// Fails when the committed `file` (relative to the repository) is not `text`; with
/// `OPENAI_FT_REGENERATE` set, writes `text` to it instead. `regenerate` is the command that does.
pub fn check_or_write(file: &str, text: &str, regenerate: &str) {
    let path = repo().join(file);
    if std::env::var_os("OPENAI_FT_REGENERATE").is_some() {
        std::fs::write(&path, text).unwrap();
    } else {
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            current == text,
            "{file} is not what the WIT gives; regenerate it: {regenerate}"
        );
    }
}
