//! The jobs suite against an Azure OpenAI resource, configured by the environment alone, under
//! each way Microsoft's specs allow the resource to behave: v1 keeping what its schema lists, v1
//! keeping neither metadata nor suffix and speaking Azure's status words, the dated preview and
//! the dated GA. Upload (waiting for Azure to process the file), ensure (also under every create
//! fault), wait, read, cancel and timeout cancel, with exactly one job per request; what a surface
//! cannot express refused before any request; retirement dates from Azure's own fields.

use crate::util::*;
use openai_ft_emulator::{Config, Keep, V1Statuses};
use serde_json::{Value, json};

/// An Azure resource, as one of the ways the specs allow it to behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Server {
    /// v1, keeping the metadata and `user_provided_suffix` its schema lists, in its status words.
    V1,
    /// v1 keeping neither metadata nor the suffix, answering Azure's status words, and 201 to
    /// creates as the dated API does.
    V1KeepsNothing,
    /// The dated API at 2025-04-01-preview.
    Preview,
    /// The dated API at 2024-10-21.
    Ga,
}

use Server::*;

const EVERY: [Server; 4] = [V1, V1KeepsNothing, Preview, Ga];

impl Server {
    fn flavor(self) -> Flavor {
        match self {
            V1 | V1KeepsNothing => Flavor::Azure,
            Preview | Ga => Flavor::AzureClassic,
        }
    }

    fn start(self, step_ms: u64) -> Emulator {
        self.start_with(step_ms, |_| {})
    }

    fn start_with(self, step_ms: u64, configure: impl FnOnce(&mut Config)) -> Emulator {
        Emulator::with(|c| {
            c.flavor = self.flavor();
            c.step_ms = step_ms;
            if self == V1KeepsNothing {
                c.switches.v1_metadata = Keep::Drop;
                c.switches.v1_user_provided_suffix = Keep::Drop;
                c.switches.v1_statuses = V1Statuses::Azure;
                c.switches.v1_creates_201 = true;
            }
            configure(c);
        })
    }

    /// `openai-ft <args>` configured for this resource as its users would.
    fn run(self, emulator: &Emulator, args: &[&str]) -> Cmd {
        let cmd = openai_ft(args).against(emulator);
        match self {
            Ga => cmd.env("OPENAI_API_VERSION", "2024-10-21"),
            _ => cmd,
        }
    }

    /// Whether the status words are Azure's (`pending`) rather than the v1 schema's.
    fn azure_words(self) -> bool {
        self != V1
    }

    /// The API path prefix, as the emulator counts requests.
    fn prefix(self) -> &'static str {
        match self.flavor() {
            Flavor::Azure => "/openai/v1",
            _ => "/openai",
        }
    }
}

fn creates(server: Server, emulator: &Emulator) -> u64 {
    emulator.count(&format!("POST {}/fine_tuning/jobs", server.prefix()))
}

/// Every job the resource holds, as a user's own script would list them.
fn jobs(emulator: &Emulator) -> Vec<Value> {
    emulator.api("GET", "/fine_tuning/jobs?limit=100", None)["data"]
        .as_array()
        .expect("data")
        .clone()
}

fn upload(server: Server, emulator: &Emulator) -> String {
    let out = server
        .run(emulator, &["file", "upload"])
        .input(json!({"path": data("supervised.jsonl")}))
        .run();
    out.json()["id"].clone()
}

fn request(file: &str) -> Value {
    // Fifty epochs keep a job running for a while even with short emulator steps (which the
    // file processing needs: it advances on the same clock).
    json!({"model": "gpt-4o-mini", "training_file": file, "suffix": "azure", "poll_interval": "0.05",
           "hyperparameters": "{\"n_epochs\":\"50\"}"})
}

fn ensure(server: Server, emulator: &Emulator, input: Value) -> Outcome {
    server.run(emulator, &["job", "ensure"]).input(input).run()
}

fn with(mut base: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().expect("object") {
        base[k] = v.clone();
    }
    base
}

#[test]
fn a_job_is_created_once_waited_for_and_found_again_on_every_server() {
    for server in EVERY {
        let emulator = server.start(5);
        let file = upload(server, &emulator);
        let status = emulator.api("GET", &format!("/files/{file}"), None);
        assert_eq!(
            status["status"], "processed",
            "{server:?}: upload hands out a processed file"
        );
        // GA takes no training type (refused at plan, tested below).
        let tier = if server == Ga {
            json!({})
        } else {
            json!({"training_type": "Standard"})
        };
        let short = with(
            request(&file),
            json!({"hyperparameters": "{\"n_epochs\":\"2\"}"}),
        );
        let out = ensure(
            server,
            &emulator,
            with(with(short.clone(), tier.clone()), json!({"wait": "true"})),
        );
        let o = out.json();
        assert_eq!(o["status"], "succeeded", "{server:?}");
        assert_eq!(o["api_status"], "succeeded");
        assert!(
            o["fine_tuned_model"].starts_with("gpt-4o-mini-2024-07-18.ft-"),
            "{}",
            o["fine_tuned_model"]
        );
        let words = if server.azure_words() {
            "pending"
        } else {
            "validating files"
        };
        assert!(out.stderr.contains(words), "{server:?}: {}", out.stderr);
        assert_eq!(creates(server, &emulator), 1);
        // Again: the job is found by what this server keeps.
        let again = ensure(server, &emulator, with(short.clone(), tier.clone())).json();
        assert_eq!(
            (again["id"].as_str(), again["created"].as_str()),
            (o["id"].as_str(), "false")
        );
        let mut by_request = with(short, tier);
        by_request
            .as_object_mut()
            .map(|m| m.remove("poll_interval"));
        let read = server
            .run(&emulator, &["job", "read"])
            .input(by_request)
            .run()
            .json();
        assert_eq!(read["id"], o["id"], "{server:?}");
        assert_eq!(creates(server, &emulator), 1, "{server:?}");
        assert_eq!(jobs(&emulator).len(), 1, "{server:?}");
    }
}

#[test]
fn every_create_fault_leaves_one_job_on_every_server() {
    for server in EVERY {
        for fault in [
            json!({"fault": "commit_then_drop"}),
            json!({"fault": "commit_then_500"}),
            json!({"fault": "reset"}),
            json!({"fault": "delay", "delay_ms": 2500}),
        ] {
            let emulator = server.start(200);
            let file = upload(server, &emulator);
            // Other jobs in the resource: the lookup must pick ours out of the list.
            for suffix in ["one", "two"] {
                ensure(
                    server,
                    &emulator,
                    with(request(&file), json!({"suffix": suffix})),
                )
                .json();
            }
            let path = format!("{}/fine_tuning/jobs", server.prefix());
            emulator.fault(with(fault.clone(), json!({"method": "POST", "path": path})));
            let out = server
                .run(&emulator, &["job", "ensure"])
                .env("OPENAI_FT_TIMEOUT", "1")
                .input(request(&file))
                .run();
            let id = out.json()["id"].clone();
            assert_eq!(
                jobs(&emulator).len(),
                3,
                "{server:?} {fault}: {}",
                out.stderr
            );
            // And the next run finds it before any create.
            let before = creates(server, &emulator);
            assert_eq!(ensure(server, &emulator, request(&file)).json()["id"], id);
            assert_eq!(creates(server, &emulator), before, "{server:?} {fault}");
        }
    }
}

#[test]
fn cancel_and_timeout_on_every_server() {
    for server in EVERY {
        let emulator = server.start(200);
        let file = upload(server, &emulator);
        let created = ensure(server, &emulator, request(&file)).json();
        let (status, api) = if server.azure_words() {
            ("queued", "pending")
        } else {
            ("validating_files", "validating_files")
        };
        assert_eq!(
            (created["status"].as_str(), created["api_status"].as_str()),
            (status, api),
            "{server:?}"
        );
        let cancelled = server
            .run(&emulator, &["job", "cancel"])
            .input(request(&file))
            .run()
            .json();
        assert_eq!(cancelled["status"], "cancelled", "{server:?}");

        let timed = with(
            request(&file),
            json!({"suffix": "timed", "cancel_after_timeout": "1", "wait": "true", "poll_interval": "0.2", "fail_on_unsuccessful": "false"}),
        );
        let o = ensure(server, &emulator, timed).json();
        assert_eq!(
            (o["status"].as_str(), o["timed_out"].as_str()),
            ("cancelled", "true")
        );
    }
}

#[test]
fn jobs_wait_for_azure_to_process_their_files() {
    let emulator = V1.start(200);
    // Uploaded behind the tool's back: still pending when the job is asked for.
    let file = emulator.upload("train.jsonl", SUPERVISED);
    let out = ensure(V1, &emulator, request(&file));
    out.json();
    assert!(
        out.stderr
            .contains(&format!("waiting for Azure to process {file}")),
        "{}",
        out.stderr
    );
    let log = emulator.log();
    let create = log
        .iter()
        .position(|e| e.method == "POST" && e.path == "/openai/v1/fine_tuning/jobs")
        .expect("a create");
    assert!(
        log[..create]
            .iter()
            .any(|e| e.path == format!("/openai/v1/files/{file}"))
    );
    assert!(
        log[..create].iter().all(|e| e.status != Some(400)),
        "no create was refused"
    );
}

#[test]
fn v1_uploads_ask_for_thirty_days() {
    let emulator = V1.start(5);
    let file = upload(V1, &emulator);
    let f = emulator.api("GET", &format!("/files/{file}"), None);
    assert_eq!(
        f["expires_at"].as_u64().expect("expires_at")
            - f["created_at"].as_u64().expect("created_at"),
        30 * 86_400
    );
}

#[test]
fn azure_jobs_carry_the_key_in_the_suffix_and_a_seed() {
    for (server, field, room, api, max) in [
        (Preview, "suffix", 22, "dated API", 40),
        (V1, "user_provided_suffix", 46, "v1 API", 64),
    ] {
        let emulator = server.start(200);
        let file = upload(server, &emulator);
        let o = ensure(server, &emulator, request(&file)).json();
        let tag = format!("oaift{}", &o["idempotency_key"]["oaift-".len()..][..12]);
        let job = emulator.api("GET", &format!("/fine_tuning/jobs/{}", o["id"]), None);
        assert_eq!(job[field], format!("azure-{tag}"), "{server:?}");
        let seed = job["seed"].as_u64().expect("seed");
        assert!(seed <= 2_147_483_647, "{server:?}");
        let long = "a".repeat(room + 1);
        let line = ensure(
            server,
            &emulator,
            with(request(&file), json!({"suffix": long})),
        )
        .only_error();
        assert_eq!(
            line,
            format!(
                "invalid suffix \"{long}\": must be at most {room} characters on Azure OpenAI's {api}, which keeps 18 of its {max} for the job's idempotency tag"
            )
        );
        let line = ensure(
            server,
            &emulator,
            with(request(&file), json!({"suffix": "my.model"})),
        )
        .only_error();
        assert!(
            line.starts_with("invalid suffix \"my.model\": may only contain letters"),
            "{line}"
        );
    }
}

#[test]
fn what_2024_10_21_cannot_express_is_refused_before_any_request() {
    let emulator = Ga.start(20);
    let file = upload(Ga, &emulator);
    let before = emulator.log().len();
    for (extra, want) in [
        (
            json!({"training_method": "dpo"}),
            "invalid training_method \"dpo\": Azure OpenAI's GA api-version (2024-10-21) trains supervised jobs only (it has no method field); set OPENAI_API_VERSION=2025-04-01-preview, or use Azure OpenAI's v1 API (OPENAI_FT_FLAVOR=azure)",
        ),
        (
            json!({"training_type": "Developer"}),
            "invalid training_type \"developerTier\": Azure OpenAI's GA api-version (2024-10-21) takes no trainingType (Microsoft documents it from 2025-04-01-preview on); set OPENAI_API_VERSION=2025-04-01-preview, use Azure OpenAI's v1 API (OPENAI_FT_FLAVOR=azure), or leave training_type unset",
        ),
    ] {
        for verb in ["check", "ensure"] {
            let line = Ga
                .run(&emulator, &["job", verb])
                .input(with(request(&file), extra.clone()))
                .run()
                .only_error();
            assert_eq!(line, want, "{verb}");
        }
    }
    let line = Ga
        .run(&emulator, &["job", "pause"])
        .input(json!({"id": "ftjob-abc"}))
        .run()
        .only_error();
    assert_eq!(
        line,
        "cannot pause ftjob-abc: Azure OpenAI's GA api-version (2024-10-21) has no pause operation; set OPENAI_API_VERSION=2025-04-01-preview, or use Azure OpenAI's v1 API (OPENAI_FT_FLAVOR=azure)"
    );
    assert_eq!(emulator.log().len(), before, "nothing was sent");
    // What it can express goes top-level, without method or "auto".
    let o = ensure(
        Ga,
        &emulator,
        with(
            request(&file),
            json!({"hyperparameters": "{\"n_epochs\":\"2\",\"batch_size\":\"auto\"}"}),
        ),
    )
    .json();
    let job = emulator
        .get(&format!(
            "/openai/fine_tuning/jobs/{}?api-version=2024-10-21",
            o["id"]
        ))
        .ok()
        .clone();
    assert_eq!(job["hyperparameters"]["n_epochs"], 2);
    assert!(job.get("method").is_none(), "{job}");
}

#[test]
fn a_refused_training_type_is_one_line_naming_what_to_try() {
    for (server, tier, given) in [
        (V1, None, "GlobalStandard"),
        (Preview, Some("Developer"), "developerTier"),
    ] {
        let emulator = server.start_with(20, |c| {
            c.training_types = [(
                "gpt-4o-mini-2024-07-18".to_string(),
                vec!["globalstandard".to_string()],
            )]
            .into_iter()
            .collect();
        });
        let file = upload(server, &emulator);
        let input = match tier {
            Some(t) => with(request(&file), json!({"training_type": t})),
            None => request(&file),
        };
        let line = ensure(server, &emulator, input).only_error();
        let want = match tier {
            None => "missing training_type: Azure OpenAI refused the job for gpt-4o-mini without it (\"Standard TrainingType is not supported for model gpt-4o-mini-2024-07-18. Supported training types: 'GlobalStandard'\"); set training_type to GlobalStandard or Developer".to_string(),
            Some(_) => format!("invalid training_type \"{given}\": Azure OpenAI refused it for gpt-4o-mini (\"Developer TrainingType is not supported for model gpt-4o-mini-2024-07-18. Supported training types: 'globalstandard'\"); set training_type to Standard or globalstandard"),
        };
        assert_eq!(line, want, "{server:?}");
        assert_eq!(jobs(&emulator).len(), 0);
        // The tier the model takes trains.
        let ok = with(request(&file), json!({"training_type": "GlobalStandard"}));
        assert_eq!(ensure(server, &emulator, ok).json()["created"], "true");
    }
}

#[test]
fn retirement_dates_come_from_azures_deprecation_fields() {
    let day = date_in;
    let base = "gpt-4.1-mini-2025-04-14";
    for server in [V1, Preview, Ga] {
        let emulator = server.start_with(20, |c| {
            c.fine_tune_retirement = [
                (base.to_string(), day(30)),
                ("gpt-4o-2024-08-06".to_string(), day(-1)),
            ]
            .into_iter()
            .collect();
            c.inference_retirement = [(base.to_string(), day(400))].into_iter().collect();
            c.lifecycle_status = [(base.to_string(), "deprecating".to_string())]
                .into_iter()
                .collect();
        });
        let check = |model: &str| {
            server
                .run(&emulator, &["job", "check"])
                .input(json!({"model": model}))
                .run()
        };
        let o = check(base).json();
        assert_eq!(
            o["base_model_fine_tune_retirement_date"],
            day(30),
            "{server:?}"
        );
        assert_eq!(o["base_model_shutdown_date"], day(400));
        // 2024-10-21's enum, which v1 reads too, has no "deprecating".
        let lifecycle = if server == Preview {
            "deprecating"
        } else {
            "generally-available"
        };
        assert_eq!(o["base_model_lifecycle_status"], lifecycle, "{server:?}");
        let warnings: Value = serde_json::from_str(&o["warnings"]).expect("json");
        assert_eq!(
            warnings,
            json!([{"kind": "base_model_shutdown", "message": format!(
                "the base model {base} stops taking fine-tuning jobs on {}, in 30 days", day(30)
            )}])
        );
        let line = check("gpt-4o-2024-08-06").only_error();
        assert_eq!(
            line,
            format!(
                "refusing to start training on gpt-4o-2024-08-06: Azure OpenAI retired it for fine-tuning on {} (its deprecation.fine_tune), so the job would be refused and no model made; choose a current base model",
                day(-1)
            )
        );
        assert!(
            emulator.log().iter().all(|e| e.method == "GET"),
            "job check writes nothing"
        );
        // On v1 too, the dates come from the resource's dated models list.
        assert!(
            emulator.log().iter().any(|e| e.path == "/openai/models"
                && e.query
                    .as_deref()
                    .is_some_and(|q| q.contains("api-version=20"))),
            "{server:?}"
        );
    }
}

#[test]
fn checkpoint_permissions_are_refused_on_azure_before_any_call() {
    for flavor in [Flavor::Azure, Flavor::AzureClassic] {
        let emulator = Emulator::flavored(flavor, 20);
        let line = openai_ft(&["permissions", "read"])
            .against(&emulator)
            .env("OPENAI_ADMIN_KEY", ADMIN_KEY)
            .input(json!({"checkpoint": "ft:gpt-4o-mini-2024-07-18:org:x:abc"}))
            .run()
            .only_error();
        assert!(
            line.starts_with("checkpoint permissions do not exist on Azure OpenAI"),
            "{line}"
        );
        assert!(
            line.contains("role-based access")
                && line.contains("deploy it into the other resource"),
            "{line}"
        );
        assert!(emulator.log().is_empty());
    }
}

#[test]
fn azure_errors_read_like_openai_ones_and_name_azures_variables() {
    let emulator = Emulator::flavored(Flavor::Azure, 20);
    let line = openai_ft(&["job", "read"])
        .against(&emulator)
        .input(json!({"id": "ftjob-missing"}))
        .run()
        .only_error();
    assert!(line.starts_with("api error 404"), "{line}");
    assert!(line.contains("AZURE_OPENAI_ENDPOINT names"), "{line}");
    assert!(
        line.contains("(request id "),
        "apim-request-id is quoted: {line}"
    );
    for flavor in [Flavor::Azure, Flavor::AzureClassic] {
        let emulator = Emulator::flavored(flavor, 20);
        let line = openai_ft(&["job", "read"])
            .against(&emulator)
            .env("AZURE_OPENAI_API_KEY", "wrong-key-000000000000")
            .input(json!({"id": "ftjob-missing"}))
            .run()
            .only_error();
        assert!(line.starts_with("api error 401"), "{line}");
        assert!(
            line.contains("; check AZURE_OPENAI_API_KEY (or AZURE_OPENAI_AD_TOKEN):"),
            "{line}"
        );
        assert!(!line.contains("OPENAI_API_KEY:"), "{line}");
        assert!(!line.contains("wrong-key-000000000000"));
    }
}
