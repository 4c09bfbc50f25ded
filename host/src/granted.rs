//! The one local file a command may read: the `path` input of the `file` commands, opened by the
//! host and exposed to the guest by offset, never as a filesystem, and streamed into an upload
//! exactly as the guest validated it ([`UploadBody`]).

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// The most the guest may read in one call; it streams larger files.
pub const MAX_READ: u32 = 1 << 20;

/// The slowest an upload may average, on top of one timeout: a body sent more slowly is
/// stopped rather than left to trickle for days (512 MB at this rate is about two hours).
pub const MIN_UPLOAD_BYTES_PER_SEC: u64 = 64 << 10;

/// An opened, readable regular file.
pub struct GrantedFile {
    path: PathBuf,
    file: Arc<File>,
    len: u64,
}

impl GrantedFile {
    /// Opens `path` for reading; the error names the path and the cause. Only a regular file is
    /// opened, and without blocking: a FIFO or a device could otherwise hold the open forever.
    pub fn open(path: &Path) -> Result<Self, String> {
        let fail = |e: std::io::Error| format!("cannot be read ({e})");
        let not_regular = || format!("cannot read {}: not a regular file", path.display());
        if !std::fs::metadata(path).map_err(fail)?.is_file() {
            return Err(not_regular());
        }
        // O_NONBLOCK changes nothing for a regular file, and makes the open of anything that
        // replaced it since the check return at once; fstat then tells what was opened.
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .map_err(fail)?;
        let meta = file.metadata().map_err(fail)?;
        if !meta.is_file() {
            return Err(not_regular());
        }
        Ok(Self {
            path: path.to_owned(),
            file: Arc::new(file),
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

    /// The file's bytes for one upload attempt, from byte 0, checked against `sha256` (lower-case
    /// hex) as they go; `timeout` is the client's, for the upload's deadline. What stopped the
    /// body, if anything, lands in `changed`.
    pub fn upload_body(&self, sha256: &str, timeout: Duration, changed: &Changed) -> UploadBody {
        let allowed =
            timeout.saturating_add(Duration::from_secs(self.len / MIN_UPLOAD_BYTES_PER_SEC));
        UploadBody {
            file: self.file.clone(),
            path: self.path.clone(),
            len: self.len,
            offset: 0,
            hasher: Sha256::new(),
            expected: sha256.to_ascii_lowercase(),
            deadline: Instant::now().checked_add(allowed),
            allowed,
            changed: changed.clone(),
        }
    }
}

/// Why an upload body stopped early, if it did: shared between the body (which ureq owns while
/// sending) and the sender (which turns it into the guest's error).
#[derive(Clone, Default)]
pub struct Changed(Arc<Mutex<Option<Stop>>>);

/// What stopped an upload body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The bytes are not the validated ones: the message names the file and what differed.
    Changed(String),
    /// The upload went on past its deadline.
    TooSlow(String),
}

impl Changed {
    /// What stopped the body, if anything did.
    pub fn take(&self) -> Option<Stop> {
        self.0.lock().ok()?.take()
    }

    fn set(&self, stop: Stop) -> std::io::Error {
        let message = match &stop {
            Stop::Changed(m) | Stop::TooSlow(m) => m.clone(),
        };
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(stop);
        }
        std::io::Error::other(message)
    }
}

/// One upload attempt's file part: reads the granted file by offset (never a shared cursor, so
/// every attempt starts at byte 0), hashes what it hands out, and ends with an error instead of
/// the last bytes when the file is shorter than when it was opened, when the bytes do not hash
/// to what the guest validated, or when the upload runs past its deadline. ureq then stops the
/// request before the body is complete, so the server cannot store a whole file of other bytes.
pub struct UploadBody {
    file: Arc<File>,
    path: PathBuf,
    len: u64,
    offset: u64,
    hasher: Sha256,
    expected: String,
    /// `None` when the allowance is beyond what the clock can count: no deadline then.
    deadline: Option<Instant>,
    allowed: Duration,
    changed: Changed,
}

impl UploadBody {
    fn changed(&self, what: String) -> std::io::Error {
        self.changed.set(Stop::Changed(format!(
            "{} changed after it was validated ({what})",
            self.path.display()
        )))
    }
}

impl Read for UploadBody {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.deadline.is_some_and(|d| Instant::now() > d) {
            return Err(self.changed.set(Stop::TooSlow(format!(
                "the upload of {} took longer than {} s (the timeout plus 1 s per 64 KiB); \
                 raise OPENAI_FT_TIMEOUT for a slow link",
                self.path.display(),
                self.allowed.as_secs()
            ))));
        }
        let left = self.len - self.offset;
        if left == 0 {
            let digest = self.hasher.finalize_reset();
            let got: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            if got != self.expected {
                return Err(self.changed(format!(
                    "its SHA-256 is {got}, not the {} validated",
                    self.expected
                )));
            }
            return Ok(0);
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = loop {
            match self.file.read_at(&mut buf[..want], self.offset) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
                Ok(0) => {
                    return Err(self.changed(format!(
                        "it ends at byte {}, not at the {} validated",
                        self.offset, self.len
                    )));
                }
                Ok(n) => break n,
            }
        };
        self.hasher.update(&buf[..n]);
        self.offset += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn granted(content: &[u8]) -> (tempdir::Dir, GrantedFile) {
        let dir = tempdir::Dir::new();
        let path = dir.0.join("train.jsonl");
        std::fs::write(&path, content).unwrap();
        let file = GrantedFile::open(&path).unwrap();
        (dir, file)
    }

    fn sha256(bytes: &[u8]) -> String {
        Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Reads `body` to its end in small pieces, as ureq would.
    fn drain(mut body: UploadBody) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut buf = [0u8; 7];
        loop {
            match body.read(&mut buf)? {
                0 => return Ok(out),
                n => out.extend_from_slice(&buf[..n]),
            }
        }
    }

    #[test]
    fn every_attempt_streams_the_whole_file_from_byte_zero() {
        let (_dir, file) = granted(b"0123456789abcdef");
        for _ in 0..3 {
            let changed = Changed::default();
            let body = file.upload_body(
                &sha256(b"0123456789abcdef"),
                Duration::from_secs(60),
                &changed,
            );
            assert_eq!(drain(body).unwrap(), b"0123456789abcdef");
            assert_eq!(changed.take(), None);
        }
    }

    #[test]
    fn a_file_that_shrank_or_changed_ends_the_body_with_an_error() {
        let (dir, file) = granted(b"0123456789abcdef");
        let path = dir.0.join("train.jsonl");
        let digest = sha256(b"0123456789abcdef");

        std::fs::write(&path, b"0123456789ABCDEF").unwrap();
        let changed = Changed::default();
        let body = file.upload_body(&digest, Duration::from_secs(60), &changed);
        let e = drain(body).unwrap_err();
        let Some(Stop::Changed(m)) = changed.take() else {
            panic!("no change recorded: {e}")
        };
        assert_eq!(
            m,
            format!(
                "{} changed after it was validated (its SHA-256 is {}, not the {digest} validated)",
                path.display(),
                sha256(b"0123456789ABCDEF")
            )
        );

        std::fs::write(&path, b"0123").unwrap();
        let changed = Changed::default();
        let body = file.upload_body(&digest, Duration::from_secs(60), &changed);
        drain(body).unwrap_err();
        assert_eq!(
            changed.take(),
            Some(Stop::Changed(format!(
                "{} changed after it was validated (it ends at byte 4, not at the 16 validated)",
                path.display()
            )))
        );
    }

    #[test]
    fn only_regular_files_are_opened() {
        let dir = tempdir::Dir::new();
        let fifo = dir.0.join("fifo");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = GrantedFile::open(&fifo).err().expect("refused");
        assert_eq!(
            e,
            format!("cannot read {}: not a regular file", fifo.display())
        );
        let e = GrantedFile::open(&dir.0).err().expect("refused");
        assert_eq!(
            e,
            format!("cannot read {}: not a regular file", dir.0.display())
        );
    }

    /// A scratch folder removed on drop.
    mod tempdir {
        pub struct Dir(pub std::path::PathBuf);

        impl Dir {
            pub fn new() -> Self {
                use std::sync::atomic::{AtomicUsize, Ordering};
                static N: AtomicUsize = AtomicUsize::new(0);
                let n = N.fetch_add(1, Ordering::Relaxed);
                let dir = std::env::temp_dir()
                    .join(format!("openai-ft-granted-{}-{n}", std::process::id()));
                std::fs::create_dir_all(&dir).unwrap();
                Self(dir)
            }
        }

        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }
}
