//! The one local file a command may read: the `path` input of the `file` commands, opened by the
//! host and exposed to the guest by offset, never as a filesystem, and streamed into an upload
//! exactly as the guest validated it ([`UploadBody`]).

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openai_ft_host_logic::messages::{OpenFailure, OsError, read_failure};
use openai_ft_host_logic::request::{MAX_READ_BYTES, UploadStop};
use sha2::{Digest, Sha256};

/// An opened, readable regular file.
pub struct GrantedFile {
    path: PathBuf,
    file: Arc<File>,
    len: u64,
}

impl GrantedFile {
    /// Opens `path` for reading; the error says why it could not. Only a regular file is opened,
    /// and without blocking: a FIFO or a device could otherwise hold the open forever.
    pub fn open(path: &Path) -> Result<Self, OpenFailure> {
        let fail = |e: std::io::Error| OpenFailure::Os(os_error(&e));
        let not_regular = || OpenFailure::NotRegular;
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
        let want = u64::from(len.min(MAX_READ_BYTES)).min(self.len.saturating_sub(offset));
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
                Err(e) => return Err(read_failure(&self.path.to_string_lossy(), &os_error(&e))),
            }
        }
        buf.truncate(filled);
        Ok(buf)
    }

    /// The file's path, as messages name it.
    pub fn path(&self) -> String {
        self.path.to_string_lossy().into_owned()
    }

    /// The file's bytes for one upload attempt, from byte 0, checked against `sha256` (lower-case
    /// hex) as they go, for at most `allowed`. What stopped the body, if anything, lands in
    /// `changed`.
    pub fn upload_body(&self, sha256: &str, allowed: Duration, changed: &Changed) -> UploadBody {
        UploadBody {
            file: self.file.clone(),
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

/// An I/O error as the host logic words it: the system's description and number.
fn os_error(e: &std::io::Error) -> OsError {
    let code = e.raw_os_error().unwrap_or(0);
    let text = e.to_string();
    let words = text
        .strip_suffix(&format!(" (os error {code})"))
        .unwrap_or(&text);
    OsError {
        code,
        name: String::new(),
        words: words.to_owned(),
    }
}

/// Why an upload body stopped early, if it did: shared between the body (which ureq owns while
/// sending) and the sender (which turns it into the guest's error).
#[derive(Clone, Default)]
pub struct Changed(Arc<Mutex<Option<UploadStop>>>);

impl Changed {
    /// What stopped the body, if anything did.
    pub fn take(&self) -> Option<UploadStop> {
        self.0.lock().ok()?.take()
    }

    fn set(&self, stop: UploadStop) -> std::io::Error {
        let message = format!("{stop:?}");
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
    len: u64,
    offset: u64,
    hasher: Sha256,
    expected: String,
    /// `None` when the allowance is beyond what the clock can count: no deadline then.
    deadline: Option<Instant>,
    allowed: Duration,
    changed: Changed,
}

impl Read for UploadBody {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.deadline.is_some_and(|d| Instant::now() > d) {
            return Err(self.changed.set(UploadStop::TooSlow {
                secs: self.allowed.as_secs(),
            }));
        }
        let left = self.len - self.offset;
        if left == 0 {
            let digest = self.hasher.finalize_reset();
            let got: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            if got != self.expected {
                return Err(self.changed.set(UploadStop::Digest {
                    got,
                    expected: self.expected.clone(),
                }));
            }
            return Ok(0);
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = loop {
            match self.file.read_at(&mut buf[..want], self.offset) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
                Ok(0) => {
                    return Err(self.changed.set(UploadStop::Short {
                        at: self.offset,
                        size: self.len,
                    }));
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
        drain(body).unwrap_err();
        assert_eq!(
            changed.take(),
            Some(UploadStop::Digest {
                got: sha256(b"0123456789ABCDEF"),
                expected: digest.clone()
            })
        );

        std::fs::write(&path, b"0123").unwrap();
        let changed = Changed::default();
        let body = file.upload_body(&digest, Duration::from_secs(60), &changed);
        drain(body).unwrap_err();
        assert_eq!(changed.take(), Some(UploadStop::Short { at: 4, size: 16 }));
    }

    #[test]
    fn only_regular_files_are_opened() {
        let dir = tempdir::Dir::new();
        let fifo = dir.0.join("fifo");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = GrantedFile::open(&fifo).err().expect("refused");
        assert_eq!(e, OpenFailure::NotRegular);
        let e = GrantedFile::open(&dir.0).err().expect("refused");
        assert_eq!(e, OpenFailure::NotRegular);
        let e = GrantedFile::open(&dir.0.join("absent"))
            .err()
            .expect("refused");
        assert_eq!(
            e,
            OpenFailure::Os(OsError {
                code: 2,
                name: String::new(),
                words: "No such file or directory".into()
            })
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
