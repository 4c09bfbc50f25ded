//! The test-facing bookkeeping, kept apart from the API state: request counts, the ordered request
//! log, the response journal (for spec-conformance checks) and the active fault rules.

use crate::config::Config;
use crate::faults::{FaultKind, Faults};
use crate::flavor::Surface;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// How many requests `/_emulator/requests/log` keeps (the oldest are dropped first).
pub const MAX_LOG: usize = 100_000;
/// How many responses `/_emulator/journal` keeps (the oldest are dropped first).
pub const MAX_JOURNAL: usize = 10_000;

/// One request as seen by `GET /_emulator/requests/log`.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// The status sent, or `None` when the connection was dropped without a response.
    pub status: Option<u16>,
    /// The fault applied to this request, if any.
    pub fault: Option<&'static str>,
}

/// One response as seen by `GET /_emulator/journal`, for spec-conformance checks.
#[derive(Debug, Clone, Serialize)]
pub struct JournalEntry {
    /// The flavour that answered (`openai`, `azure`, `azure-classic`).
    pub flavor: &'static str,
    /// The surface whose spec the answer must match: `openai` (OpenAI's openapi.yaml),
    /// `azure-v1`, `azure-2024-10-21` or `azure-2025-04-01-preview`.
    pub surface: &'static str,
    /// The departures from that spec the emulator's switches asked for (see `Surface::departures`).
    pub departures: Vec<&'static str>,
    /// The openapi.yaml operationId, or `None` for an unknown URL.
    pub operation_id: Option<&'static str>,
    pub method: String,
    pub path: String,
    pub status: u16,
    /// The JSON body, or the raw content as a JSON string for downloads.
    pub body: Value,
}

/// The request line of a call, which every record of it names.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
}

impl Call {
    pub fn of<B>(req: &hyper::Request<B>) -> Call {
        Call {
            method: req.method().as_str().to_string(),
            path: req.uri().path().to_string(),
            query: req.uri().query().map(str::to_string),
        }
    }

    /// The journal entry of a response to this call.
    pub fn entry(
        &self,
        surface: Surface,
        config: &Config,
        operation_id: Option<&'static str>,
        status: u16,
        body: Value,
    ) -> JournalEntry {
        JournalEntry {
            flavor: config.flavor.name(),
            surface: surface.name(),
            departures: surface.departures(config),
            operation_id,
            method: self.method.clone(),
            path: self.path.clone(),
            status,
            body,
        }
    }
}

/// Counts, log, journal and fault rules.
#[derive(Debug, Default)]
pub struct Control {
    pub faults: Faults,
    pub counts: BTreeMap<String, u64>,
    pub log: Vec<LogEntry>,
    pub journal: Vec<JournalEntry>,
}

impl Control {
    /// Counts an API request under `"METHOD /path"` and takes the first fault rule it matches.
    pub fn count(&mut self, call: &Call) -> Option<FaultKind> {
        let key = format!("{} {}", call.method, call.path);
        *self.counts.entry(key).or_insert(0) += 1;
        self.faults.take(&call.method, &call.path)
    }

    /// Logs the outcome of a call and journals the response sent, if any.
    pub fn record(
        &mut self,
        call: &Call,
        status: Option<u16>,
        fault: Option<&'static str>,
        journal: Option<JournalEntry>,
    ) {
        self.log.push(LogEntry {
            method: call.method.clone(),
            path: call.path.clone(),
            query: call.query.clone(),
            status,
            fault,
        });
        self.journal.extend(journal);
        // A long-running demo server must not grow without bound; tests never get near these.
        trim_front(&mut self.log, MAX_LOG);
        trim_front(&mut self.journal, MAX_JOURNAL);
    }
}

fn trim_front<T>(v: &mut Vec<T>, max: usize) {
    if v.len() > max {
        let excess = v.len() - max;
        v.drain(..excess);
    }
}
