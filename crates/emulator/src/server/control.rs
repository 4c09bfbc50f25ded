//! The emulator's own endpoints under `/_emulator`, for tests and scripts: fault rules, request
//! counts and log, the response journal, reset, failing a job, moving a manual clock, health. They are not counted,
//! journaled, faulted or authenticated.

use super::journal::{Call, Control};
use super::reply::{self, Resp};
use super::shared::{Shared, lock};
use crate::errors::ApiError;
use crate::faults::FaultRule;
use crate::jobs;
use crate::state::State;
use serde_json::{Value, json};

/// Whether `path` is one of the control endpoints (rather than the API).
pub fn owns(path: &str) -> bool {
    path == "/_emulator" || path.starts_with("/_emulator/")
}

fn control_error(shared: &Shared, status: u16, message: &str) -> Resp {
    reply::json(
        shared,
        status,
        &ApiError::new(status, "emulator_error", message).body(),
        &[],
    )
}

/// Answers one control request.
pub fn serve(shared: &Shared, call: &Call, body: &[u8]) -> Resp {
    let ok = |v: Value| reply::json(shared, 200, &v, &[]);
    let (method, path) = (call.method.as_str(), call.path.as_str());
    match (method, path) {
        ("GET", "/_emulator/health") => ok(json!({"ok": true})),
        ("POST", "/_emulator/faults") => {
            let parsed: Value = match serde_json::from_slice(body) {
                Ok(v) => v,
                Err(e) => return control_error(shared, 400, &format!("invalid JSON body: {e}")),
            };
            let items = match parsed {
                Value::Array(a) => a,
                other => vec![other],
            };
            let mut rules = Vec::new();
            for it in &items {
                match FaultRule::from_json(it) {
                    Ok(r) => rules.push(r),
                    Err(e) => return control_error(shared, 400, &e),
                }
            }
            let mut c = lock(&shared.control);
            rules.into_iter().for_each(|r| c.faults.add(r));
            ok(json!({"faults": c.faults.rules()}))
        }
        ("GET", "/_emulator/faults") => ok(json!({"faults": lock(&shared.control).faults.rules()})),
        ("DELETE", "/_emulator/faults") => {
            lock(&shared.control).faults.clear();
            ok(json!({"faults": []}))
        }
        ("GET", "/_emulator/requests") => ok(json!(lock(&shared.control).counts)),
        ("GET", "/_emulator/requests/log") => ok(json!(lock(&shared.control).log)),
        ("DELETE", "/_emulator/requests") => {
            let mut c = lock(&shared.control);
            c.counts.clear();
            c.log.clear();
            ok(json!({}))
        }
        ("POST", p) if p.starts_with("/_emulator/jobs/") && p.ends_with("/fail") => {
            let id = &p["/_emulator/jobs/".len()..p.len() - "/fail".len()];
            let opts: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            let code = opts["code"].as_str().unwrap_or("server_error");
            let message = opts["message"]
                .as_str()
                .unwrap_or("Fine-tuning job failed due to an internal error. Please try again.");
            let result = {
                let mut state = lock(&shared.state);
                let now = shared.clock.now_ms();
                let r = jobs::force_fail(&mut state, &shared.config, id, code, message, now);
                if let Some(Ok(_)) = r {
                    shared.persist(&state);
                }
                r
            };
            match result {
                None => control_error(shared, 404, &format!("no job \"{id}\"")),
                Some(Err(status)) => {
                    control_error(shared, 409, &format!("job \"{id}\" is already {status}"))
                }
                Some(Ok(job)) => ok(job),
            }
        }
        ("POST", "/_emulator/clock") => {
            let opts: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            let Some(ms) = opts["advance_ms"].as_u64() else {
                return control_error(shared, 400, "expected {\"advance_ms\": N}, N >= 0");
            };
            if !shared.clock.advance(ms) {
                return control_error(
                    shared,
                    409,
                    "the emulator runs on the system clock: start it with manual_clock_ms",
                );
            }
            ok(json!({"now_ms": shared.clock.now_ms()}))
        }
        ("POST", p) if p.starts_with("/_emulator/deployments/") && p.ends_with("/idle") => {
            let name = &p["/_emulator/deployments/".len()..p.len() - "/idle".len()];
            let mut state = lock(&shared.state);
            if !crate::arm::idle(&mut state, name) {
                return control_error(shared, 404, &format!("no deployment named {name}"));
            }
            shared.persist(&state);
            ok(json!({"deleted": name}))
        }
        ("GET", "/_emulator/journal") => ok(json!(lock(&shared.control).journal)),
        ("POST", "/_emulator/reset") => {
            {
                let mut state = lock(&shared.state);
                *state = State::default();
                shared.persist(&state);
            }
            *lock(&shared.control) = Control::default();
            ok(json!({"reset": true}))
        }
        _ => control_error(
            shared,
            404,
            &format!("unknown control endpoint {method} {path}"),
        ),
    }
}
