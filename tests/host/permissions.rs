//! `openai-ft permissions grant|read|revoke` end to end against the emulator: one grant per
//! project whatever the faults, only the named projects touched, and each admin-key refusal with
//! its exact message.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::util::*;
use serde_json::{Value, json};

const TRAINING: &str = SUPERVISED;

/// The seed's fix for a missing admin key, as the host words it.
const NO_ADMIN_KEY: &str = "OPENAI_ADMIN_KEY is not set: checkpoint permissions need an \
                            organisation admin key with the api.fine_tuning.checkpoints.read and \
                            .write scopes; export it in the environment, never in Terraform code";

/// Runs a fine-tuning job on the emulator to completion and returns its fine-tuned model.
fn checkpoint(emulator: &Emulator) -> String {
    let file = emulator.upload("train.jsonl", TRAINING);
    let job = emulator.api(
        "POST",
        "/fine_tuning/jobs",
        Some(json!({"model": "gpt-4o-mini", "training_file": file, "suffix": "perms"})),
    );
    let id = job["id"].as_str().expect("job id").to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let job = emulator.api("GET", &format!("/fine_tuning/jobs/{id}"), None);
        if job["status"] == "succeeded" {
            return job["fine_tuned_model"]
                .as_str()
                .expect("fine-tuned model")
                .to_owned();
        }
        assert!(Instant::now() < deadline, "job never finished: {job}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn run(emulator: &Emulator, verb: &str, input: Value) -> Outcome {
    openai_ft(&["permissions", verb])
        .against(emulator)
        .env("OPENAI_ADMIN_KEY", ADMIN_KEY)
        .input(input)
        .run()
}

/// The grants the emulator holds, straight from its API: project id to permission ids.
fn grants(emulator: &Emulator, checkpoint: &str) -> BTreeMap<String, Vec<String>> {
    let list = emulator.api(
        "GET",
        &format!("/fine_tuning/checkpoints/{checkpoint}/permissions?limit=100"),
        None,
    );
    assert_eq!(list["has_more"], false);
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in list["data"].as_array().expect("a list") {
        map.entry(p["project_id"].as_str().expect("project").to_owned())
            .or_default()
            .push(p["id"].as_str().expect("id").to_owned());
    }
    map
}

/// A JSON-valued output.
fn parse<T: serde::de::DeserializeOwned>(out: &BTreeMap<String, String>, key: &str) -> T {
    serde_json::from_str(&out[key]).unwrap_or_else(|e| panic!("{key}: {e}: {}", out[key]))
}

/// `(method, path)` of the writes (POST, DELETE) in the log from `from` on.
fn writes(emulator: &Emulator, from: usize) -> Vec<(String, String)> {
    emulator.log()[from..]
        .iter()
        .filter(|e| e.method != "GET")
        .map(|e| (e.method.clone(), e.path.clone()))
        .collect()
}

fn collection(checkpoint: &str) -> String {
    format!("/v1/fine_tuning/checkpoints/{checkpoint}/permissions")
}

#[test]
fn grants_one_project() {
    let emulator = Emulator::start(5);
    let ckpt = checkpoint(&emulator);
    let out = run(
        &emulator,
        "grant",
        json!({"checkpoint": ckpt, "project_id": "proj_alpha"}),
    )
    .json();
    let held = grants(&emulator, &ckpt);
    assert_eq!(held.len(), 1);
    let id = &held["proj_alpha"][0];
    assert!(id.starts_with("cp_"), "{id}");
    assert_eq!(out["checkpoint"], ckpt);
    assert_eq!(out["permission_id"], *id);
    assert_eq!(out["permission_ids"], json!({"proj_alpha": id}).to_string());
    assert_eq!(out["created"], r#"["proj_alpha"]"#);
    assert_eq!(out["count"], "1");
    assert_eq!(emulator.count(&format!("POST {}", collection(&ckpt))), 1);
}

#[test]
fn grants_many_projects_with_one_create_each() {
    let emulator = Emulator::start(5);
    let ckpt = checkpoint(&emulator);
    let projects = json!(["proj_a", "proj_b", "proj_c", "proj_a"]).to_string();
    let out = run(
        &emulator,
        "grant",
        json!({"checkpoint": ckpt, "project_ids": projects}),
    )
    .json();
    let held = grants(&emulator, &ckpt);
    let ids: BTreeMap<String, String> = parse(&out, "permission_ids");
    assert_eq!(
        ids,
        held.iter()
            .map(|(p, ids)| (p.clone(), ids[0].clone()))
            .collect()
    );
    assert_eq!(
        held.keys().collect::<Vec<_>>(),
        ["proj_a", "proj_b", "proj_c"]
    );
    assert!(held.values().all(|ids| ids.len() == 1));
    assert_eq!(out["count"], "3");
    assert!(!out.contains_key("permission_id"), "several projects");
    assert_eq!(emulator.count(&format!("POST {}", collection(&ckpt))), 3);
}

#[test]
fn granting_twice_reuses_the_grants() {
    let emulator = Emulator::start(5);
    let ckpt = checkpoint(&emulator);
    let input = json!({"checkpoint": ckpt, "project_ids": r#"["proj_a","proj_b"]"#});
    let first = run(&emulator, "grant", input.clone()).json();
    let before = emulator.log().len();
    let second = run(&emulator, "grant", input).json();
    assert_eq!(first["permission_ids"], second["permission_ids"]);
    assert_eq!(second["created"], "[]");
    assert_eq!(writes(&emulator, before), []);
    assert!(grants(&emulator, &ckpt).values().all(|ids| ids.len() == 1));
}

/// Grants `proj_f` with `fault` on the first create and checks there is exactly one grant.
fn grant_under(fault: Value) -> (Emulator, String, Outcome) {
    let emulator = Emulator::start(5);
    let ckpt = checkpoint(&emulator);
    let mut rule = fault;
    rule["method"] = json!("POST");
    rule["path"] = json!(collection(&ckpt));
    emulator.fault(rule);
    let out = run(
        &emulator,
        "grant",
        json!({"checkpoint": ckpt, "project_id": "proj_f"}),
    );
    let ids: BTreeMap<String, String> = parse(&out.json(), "permission_ids");
    let held = grants(&emulator, &ckpt);
    assert_eq!(held.len(), 1);
    assert_eq!(held["proj_f"], [ids["proj_f"].clone()], "one grant");
    (emulator, ckpt, out)
}

#[test]
fn a_create_committed_then_dropped_is_found_not_repeated() {
    let (emulator, ckpt, out) = grant_under(json!({"fault": "commit_then_drop"}));
    assert_eq!(emulator.count(&format!("POST {}", collection(&ckpt))), 1);
    assert!(
        out.stderr.contains("looking proj_f up before retry 1 of 5"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_429_without_retry_after_backs_off_and_succeeds() {
    let (emulator, ckpt, out) = grant_under(json!({"fault": 429}));
    assert_eq!(emulator.count(&format!("POST {}", collection(&ckpt))), 2);
    // The emulator answers a faulted request without reading its body, so the client sometimes
    // sees the connection close (a broken pipe or reset) instead of the 429; either way it backs off by the
    // admin policy (0.75-1 s, no Retry-After given) and looks the grant up before posting again.
    // The exact 429 decision is covered by the core's unit tests.
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains("; looking proj_f up before retry 1 of 5 in "))
        .unwrap_or_else(|| panic!("no retry line: {}", out.stderr));
    assert!(
        line.contains(": HTTP 429; ") || line.contains("/v1 failed: io: "),
        "{line}"
    );
}

#[test]
fn a_500_on_create_is_resolved_by_a_lookup() {
    let (emulator, ckpt, _) = grant_under(json!({"fault": 500}));
    assert_eq!(emulator.count(&format!("POST {}", collection(&ckpt))), 2);
}

#[test]
fn a_reset_on_create_is_resolved_by_a_lookup() {
    let (emulator, ckpt, _) = grant_under(json!({"fault": "reset"}));
    assert_eq!(emulator.count(&format!("POST {}", collection(&ckpt))), 2);
}

#[test]
fn a_429_on_the_lookup_is_retried_without_retry_after() {
    let emulator = Emulator::start(5);
    let ckpt = checkpoint(&emulator);
    emulator.fault(json!({"method": "GET", "path": collection(&ckpt), "fault": 429, "times": 2}));
    let out = run(
        &emulator,
        "grant",
        json!({"checkpoint": ckpt, "project_id": "proj_r"}),
    );
    assert_eq!(out.json()["count"], "1");
    assert!(
        out.stderr
            .contains("rate limited (HTTP 429); waiting to send it again; retry 2 of 5 in"),
        "{}",
        out.stderr
    );
    assert_eq!(grants(&emulator, &ckpt)["proj_r"].len(), 1);
}

#[test]
fn read_lists_every_page_and_names_the_missing() {
    let emulator = Emulator::start(5);
    let ckpt = checkpoint(&emulator);
    // More than one page (100), made directly so the test stays fast.
    let projects: Vec<String> = (0..101).map(|i| format!("proj_{i:03}")).collect();
    for chunk in projects.chunks(50) {
        emulator.api(
            "POST",
            &format!("/fine_tuning/checkpoints/{ckpt}/permissions"),
            Some(json!({ "project_ids": chunk })),
        );
    }
    let before = emulator.log().len();
    let out = run(
        &emulator,
        "read",
        json!({"checkpoint": ckpt, "project_ids": r#"["proj_000","proj_100","proj_zzz"]"#}),
    )
    .json();
    let log = emulator.log()[before..].to_vec();
    assert_eq!(log.len(), 2, "two pages: {log:?}");
    assert!(log.iter().all(|e| e.method == "GET"), "no side effects");
    let map: BTreeMap<String, String> = parse(&out, "permissions");
    assert_eq!(map, grants_all(&emulator, &ckpt));
    assert_eq!(out["count"], "101");
    assert_eq!(out["missing"], r#"["proj_zzz"]"#);
}

/// Like [`grants`], over every page, one id per project.
fn grants_all(emulator: &Emulator, checkpoint: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let mut after = String::new();
    loop {
        let list = emulator.api(
            "GET",
            &format!("/fine_tuning/checkpoints/{checkpoint}/permissions?limit=100{after}"),
            None,
        );
        for p in list["data"].as_array().expect("a list") {
            map.insert(
                p["project_id"].as_str().expect("project").to_owned(),
                p["id"].as_str().expect("id").to_owned(),
            );
        }
        if list["has_more"] != true {
            return map;
        }
        after = format!("&after={}", list["last_id"].as_str().expect("last id"));
    }
}

#[test]
fn read_without_projects_has_no_missing_key() {
    let emulator = Emulator::start(5);
    let ckpt = checkpoint(&emulator);
    let out = run(&emulator, "read", json!({"checkpoint": ckpt})).json();
    assert_eq!(out["permissions"], "{}");
    assert_eq!(out["count"], "0");
    assert!(!out.contains_key("missing"));
}

#[test]
fn revoking_an_absent_grant_is_success() {
    let emulator = Emulator::start(5);
    let ckpt = checkpoint(&emulator);
    let before = emulator.log().len();
    let out = run(
        &emulator,
        "revoke",
        json!({"checkpoint": ckpt, "project_id": "proj_gone"}),
    )
    .json();
    assert_eq!(out["revoked"], "[]");
    assert_eq!(out["count"], "0");
    assert_eq!(writes(&emulator, before), []);
}

#[test]
fn revoke_touches_only_the_named_projects() {
    let emulator = Emulator::start(5);
    let ckpt = checkpoint(&emulator);
    run(
        &emulator,
        "grant",
        json!({"checkpoint": ckpt, "project_ids": r#"["proj_a","proj_b","proj_c"]"#}),
    )
    .json();
    let held = grants(&emulator, &ckpt);
    let out = run(
        &emulator,
        "revoke",
        json!({"checkpoint": ckpt, "project_ids": r#"["proj_a","proj_c","proj_x"]"#}),
    )
    .json();
    assert_eq!(out["revoked"], r#"["proj_a","proj_c"]"#);
    assert_eq!(out["count"], "2");
    let after = grants(&emulator, &ckpt);
    assert_eq!(after.len(), 1);
    assert_eq!(after["proj_b"], held["proj_b"]);
}

#[test]
fn changing_a_b_to_b_c_revokes_a_and_grants_c_only() {
    let emulator = Emulator::start(5);
    let ckpt = checkpoint(&emulator);
    run(
        &emulator,
        "grant",
        json!({"checkpoint": ckpt, "project_ids": r#"["proj_a","proj_b"]"#}),
    )
    .json();
    let held = grants(&emulator, &ckpt);
    let before = emulator.log().len();
    // What Terraform does with one resource per project: destroy a's, create c's.
    run(
        &emulator,
        "revoke",
        json!({"checkpoint": ckpt, "project_id": "proj_a"}),
    )
    .json();
    run(
        &emulator,
        "grant",
        json!({"checkpoint": ckpt, "project_id": "proj_c"}),
    )
    .json();
    assert_eq!(
        writes(&emulator, before),
        [
            (
                "DELETE".to_owned(),
                format!("{}/{}", collection(&ckpt), held["proj_a"][0])
            ),
            ("POST".to_owned(), collection(&ckpt)),
        ]
    );
    // Every lookup asked about a or c by name, never about b.
    for e in &emulator.log()[before..] {
        let query = e.query.as_deref().unwrap_or_default();
        assert!(!query.contains("proj_b"), "{e:?}");
    }
    let after = grants(&emulator, &ckpt);
    assert_eq!(after.keys().collect::<Vec<_>>(), ["proj_b", "proj_c"]);
    assert_eq!(after["proj_b"], held["proj_b"], "b's grant never changed");
}

#[test]
fn a_missing_admin_key_is_refused_without_falling_back_to_the_project_key() {
    let emulator = Emulator::start(5);
    // `against` sets OPENAI_API_KEY: the project key is there and must not be used.
    for verb in ["grant", "read", "revoke"] {
        let line = openai_ft(&["permissions", verb])
            .against(&emulator)
            .input(json!({"checkpoint": "ft:gpt-4o-mini-2024-07-18:org:x:abc", "project_id": "proj_a"}))
            .run()
            .only_error();
        assert_eq!(line, NO_ADMIN_KEY);
    }
    assert!(emulator.log().is_empty(), "{:?}", emulator.log());
}

#[test]
fn no_keys_at_all_names_the_admin_key() {
    let emulator = Emulator::start(5);
    let line = openai_ft(&["permissions", "read"])
        .env("OPENAI_BASE_URL", &emulator.url())
        .input(json!({"checkpoint": "ft:gpt-4o-mini-2024-07-18:org:x:abc"}))
        .run()
        .only_error();
    assert_eq!(line, NO_ADMIN_KEY);
    assert!(emulator.log().is_empty());
}

/// The error line without its request id.
fn without_request_id(line: &str) -> &str {
    let (line, id) = line.rsplit_once(" (request id req_").expect("a request id");
    assert!(id.ends_with(')'), "{id}");
    line
}

#[test]
fn a_read_only_admin_key_can_read_but_not_grant() {
    let emulator = Emulator::start(5);
    let ckpt = checkpoint(&emulator);
    let with_key = |verb: &str| {
        openai_ft(&["permissions", verb])
            .against(&emulator)
            .env("OPENAI_ADMIN_KEY", ADMIN_KEY_READ_ONLY)
            .input(json!({"checkpoint": ckpt, "project_id": "proj_a"}))
            .run()
    };
    assert_eq!(with_key("read").json()["missing"], r#"["proj_a"]"#);
    let line = with_key("grant").only_error();
    assert_eq!(
        without_request_id(&line),
        "api error 401 invalid_request_error: You have insufficient permissions for this \
         operation. Missing scopes: api.fine_tuning.checkpoints.write. Check that you have the \
         correct role in your organization (Owner), and if you're using a restricted API key, \
         that it has the necessary scopes; set OPENAI_ADMIN_KEY to an admin key with the \
         api.fine_tuning.checkpoints.read and api.fine_tuning.checkpoints.write scopes"
    );
    assert_eq!(grants(&emulator, &ckpt).len(), 0);
}

#[test]
fn a_project_key_in_openai_admin_key_is_told_about_scopes() {
    let emulator = Emulator::start(5);
    let ckpt = checkpoint(&emulator);
    let line = openai_ft(&["permissions", "read"])
        .against(&emulator)
        .env("OPENAI_ADMIN_KEY", PROJECT_KEY)
        .input(json!({ "checkpoint": ckpt }))
        .run()
        .only_error();
    assert_eq!(
        without_request_id(&line),
        "api error 401 invalid_request_error: You have insufficient permissions for this \
         operation. Missing scopes: api.fine_tuning.checkpoints.read. Check that you have the \
         correct role in your organization (Owner), and if you're using a restricted API key, \
         that it has the necessary scopes; set OPENAI_ADMIN_KEY to an admin key with the \
         api.fine_tuning.checkpoints.read and api.fine_tuning.checkpoints.write scopes"
    );
}

#[test]
fn an_admin_key_without_an_owner_is_told_to_ask_an_owner() {
    let emulator = Emulator::start(5);
    let ckpt = checkpoint(&emulator);
    let line = openai_ft(&["permissions", "grant"])
        .against(&emulator)
        .env("OPENAI_ADMIN_KEY", ADMIN_KEY_NO_OWNER)
        .input(json!({"checkpoint": ckpt, "project_id": "proj_a"}))
        .run()
        .only_error();
    assert_eq!(
        without_request_id(&line),
        "api error 403 invalid_request_error: You have insufficient permissions for this \
         operation. Managing checkpoint permissions requires the Owner role in organization \
         org-emulator, and this key's user is not an Owner; the user behind OPENAI_ADMIN_KEY \
         needs the Owner role in the organisation; ask an owner to create the admin key"
    );
}

#[test]
fn an_unknown_admin_key_is_told_to_set_a_valid_one() {
    let emulator = Emulator::start(5);
    let ckpt = checkpoint(&emulator);
    let line = openai_ft(&["permissions", "read"])
        .against(&emulator)
        .env("OPENAI_ADMIN_KEY", "sk-admin-wrong-0000000")
        .input(json!({ "checkpoint": ckpt }))
        .run()
        .only_error();
    assert!(
        line.starts_with(
            "api error 401 invalid_request_error (invalid_api_key): Incorrect API key provided"
        ),
        "{line}"
    );
    assert!(
        without_request_id(&line).ends_with(
            "; set OPENAI_ADMIN_KEY to a valid admin key (sk-admin-...) of the organisation \
             that owns the model"
        ),
        "{line}"
    );
    assert!(!line.contains("sk-admin-wrong-0000000"));
}

#[test]
fn bad_inputs_never_reach_the_network() {
    let emulator = Emulator::start(5);
    let ckpt = "ft:gpt-4o-mini-2024-07-18:org:x:abc";
    let cases = [
        (
            "grant",
            json!({"checkpoint": ckpt, "project_id": "project-a"}),
            r#"invalid project_id "project-a": must be a project id like "proj_abc123""#,
        ),
        (
            "revoke",
            json!({"checkpoint": ckpt, "project_ids": r#"["proj_a","proj_../x"]"#}),
            r#"invalid project_ids[1] "proj_../x": must be a project id like "proj_abc123""#,
        ),
        (
            "grant",
            json!({"checkpoint": ckpt, "project_ids": "proj_a,proj_b"}),
            r#"invalid project_ids "proj_a,proj_b": must be a JSON list of project ids, for example ["proj_abc123"] (jsonencode() it in Terraform)"#,
        ),
        (
            "grant",
            json!({"checkpoint": ckpt, "project_ids": "[]"}),
            r#"invalid project_ids "[]": must list at least one project id"#,
        ),
        (
            "grant",
            json!({"checkpoint": ckpt, "project_id": "proj_a", "project_ids": r#"["proj_b"]"#}),
            r#"invalid input "project_id, project_ids": set project_id for one project or project_ids for several, not both"#,
        ),
        (
            "revoke",
            json!({ "checkpoint": ckpt }),
            "missing project_id: set project_id to a project id (proj_...), or project_ids to a JSON list of them",
        ),
        (
            "read",
            json!({"project_id": "proj_a"}),
            "missing checkpoint: set it to the fine-tuned model or checkpoint name (ft:...) to share",
        ),
        (
            "read",
            json!({"checkpoint": ckpt, "projects": "proj_a"}),
            r#"invalid input "projects": unknown key; expected one of: checkpoint, project_id, project_ids, model, training_file, validation_file, suffix, training_method, hyperparameters, grader, seed, metadata, integrations, training_type, output"#,
        ),
        (
            "grant",
            json!({"checkpoint": ckpt, "project_id": "proj_a", "admin_key": ADMIN_KEY}),
            r#"invalid input "admin_key": keys are never query fields: export OPENAI_ADMIN_KEY in the environment that runs Terraform and remove this field, which Terraform would store in state"#,
        ),
        (
            "read",
            json!({"checkpoint": ckpt, "OPENAI_ADMIN_KEY": ADMIN_KEY}),
            r#"invalid input "OPENAI_ADMIN_KEY": keys are never query fields: export OPENAI_ADMIN_KEY in the environment that runs Terraform and remove this field, which Terraform would store in state"#,
        ),
        (
            "grant",
            json!({"checkpoint": "ft:x/../../files", "project_id": "proj_a"}),
            r#"invalid checkpoint "ft:x/../../files": must be a fine-tuned model or checkpoint name like "ft:gpt-4o-mini-2024-07-18:my-org:suffix:abc123" (no /, ?, #, %, spaces or ..)"#,
        ),
        (
            "read",
            json!({"checkpoint": "gpt-4o-mini"}),
            r#"invalid checkpoint "gpt-4o-mini": must be a fine-tuned model or checkpoint name like "ft:gpt-4o-mini-2024-07-18:my-org:suffix:abc123" (no /, ?, #, %, spaces or ..)"#,
        ),
        (
            "revoke",
            json!({"checkpoint": "ft:a b?c", "project_id": "proj_a"}),
            r#"invalid checkpoint "ft:a b?c": must be a fine-tuned model or checkpoint name like "ft:gpt-4o-mini-2024-07-18:my-org:suffix:abc123" (no /, ?, #, %, spaces or ..)"#,
        ),
    ];
    for (verb, input, expected) in cases {
        let line = run(&emulator, verb, input.clone()).only_error();
        assert_eq!(line, expected, "{verb} {input}");
    }
    assert!(emulator.log().is_empty(), "{:?}", emulator.log());
}

#[test]
fn an_unknown_checkpoint_is_a_404_with_the_fix() {
    let emulator = Emulator::start(5);
    let line = run(
        &emulator,
        "grant",
        json!({"checkpoint": "ft:gpt-4o-mini-2024-07-18:org-emulator:none:abc", "project_id": "proj_a"}),
    )
    .only_error();
    assert_eq!(
        without_request_id(&line),
        "api error 404 invalid_request_error (checkpoint_not_found): Fine-tuned model checkpoint \
         not found: ft:gpt-4o-mini-2024-07-18:org-emulator:none:abc [param \
         fine_tuned_model_checkpoint]; verify the id and that it exists in the organisation and \
         project of the key (OPENAI_ORG_ID, OPENAI_PROJECT_ID)"
    );
    assert_eq!(
        emulator.count(&format!(
            "POST {}",
            collection("ft:gpt-4o-mini-2024-07-18:org-emulator:none:abc")
        )),
        0,
        "the lookup failed first; nothing was created"
    );
}
