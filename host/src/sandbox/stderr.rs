//! The guest's stderr, which carries its progress lines: passed on to the host's stderr a whole
//! line at a time, each made inert (the host logic's rule: it may quote a server's words) and
//! with the configuration's secrets redacted. The guest never holds a key,
//! so this is the second line of defence, for text a server echoed past the first.

use std::io::Write;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError, StreamResult};

use openai_ft_host_logic::inert::{Sink, shown};

use crate::redact::Redactor;

/// A line longer than this is passed on in pieces, so a guest that never ends a line cannot
/// make the host hold its output without bound.
const MAX_LINE: usize = 64 << 10;

/// What the store gives the guest as stderr.
pub(super) struct RedactedStderr(pub(super) Arc<Redactor>);

impl IsTerminal for RedactedStderr {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for RedactedStderr {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(Lines::new(self.0.clone()))
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(Lines::new(self.0.clone()))
    }
}

/// Collects bytes into lines and writes each complete one, redacted. The guest's writes are
/// pieces of its lines (Rust's `eprintln!` writes and flushes each formatted piece), so a flush
/// does not end a line: only a line break does.
struct Lines {
    redactor: Arc<Redactor>,
    pending: Vec<u8>,
}

impl Lines {
    fn new(redactor: Arc<Redactor>) -> Self {
        Self {
            redactor,
            pending: Vec::new(),
        }
    }

    fn push(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.pending.extend_from_slice(bytes);
        let complete = match self.pending.iter().rposition(|b| *b == b'\n') {
            Some(i) => i + 1,
            // Held back: the end, where a secret could be cut in two.
            None if self.pending.len() >= MAX_LINE => self
                .pending
                .len()
                .saturating_sub(self.redactor.longest().saturating_sub(1)),
            None => return Ok(()),
        };
        let lines: Vec<u8> = self.pending.drain(..complete).collect();
        let mut stderr = std::io::stderr().lock();
        stderr.write_all(&self.redactor.bytes(&inert(&lines)))?;
        stderr.flush()
    }
}

/// Each line of `lines` made inert, line breaks kept between them.
fn inert(lines: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(lines);
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (line, end) = line.strip_suffix('\n').map_or((line, ""), |l| (l, "\n"));
        out.push_str(&shown(line, Sink::Terminal));
        out.push_str(end);
    }
    out.into_bytes()
}

impl Drop for Lines {
    /// A last line without a line break is still printed (redacted) when the guest's stream goes.
    fn drop(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(&self.redactor.bytes(&inert(&self.pending)));
        let _ = stderr.flush();
    }
}

impl OutputStream for Lines {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.push(&bytes)
            .map_err(|e| StreamError::LastOperationFailed(e.into()))
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(MAX_LINE)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for Lines {
    async fn ready(&mut self) {}
}

impl AsyncWrite for Lines {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(self.push(buf).map(|()| buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
