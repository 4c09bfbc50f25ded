//! The one local file a command may read: the `path` input of the `file` commands, opened by the
//! host and exposed to the guest by offset, never as a filesystem.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// The most the guest may read in one call; it streams larger files.
pub const MAX_READ: u32 = 1 << 20;

/// An opened, readable regular file.
pub struct GrantedFile {
    path: PathBuf,
    file: File,
    len: u64,
}

impl GrantedFile {
    /// Opens `path` for reading; the error names the path and the cause.
    pub fn open(path: &Path) -> Result<Self, String> {
        let fail = |e: std::io::Error| format!("cannot be read ({e})");
        let file = File::open(path).map_err(fail)?;
        let meta = file.metadata().map_err(fail)?;
        if !meta.is_file() {
            return Err(format!(
                "cannot read {}: not a regular file",
                path.display()
            ));
        }
        Ok(Self {
            path: path.to_owned(),
            file,
            len: meta.len(),
        })
    }

    /// The size in bytes, as when it was opened.
    pub fn size(&self) -> u64 {
        self.len
    }

    /// Up to `len` bytes from `offset` (fewer only at the end of the file).
    pub fn read(&self, offset: u64, len: u32) -> Result<Vec<u8>, String> {
        let want = u64::from(len.min(MAX_READ)).min(self.len.saturating_sub(offset));
        let mut buf = vec![0; want as usize];
        let mut filled = 0;
        while filled < buf.len() {
            match self
                .file
                .read_at(&mut buf[filled..], offset + filled as u64)
            {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("cannot read {}: {e}", self.path.display())),
            }
        }
        buf.truncate(filled);
        Ok(buf)
    }

    /// A second handle for streaming the upload from the start.
    pub fn reopen(&self) -> Result<File, String> {
        self.file
            .try_clone()
            .map_err(|e| format!("cannot read {}: {e}", self.path.display()))
    }
}
