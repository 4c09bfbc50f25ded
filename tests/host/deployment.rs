//! Azure deployments through Azure Resource Manager, against the emulator's ARM: ensure follows
//! a create to its end and is idempotent by name (also under every fault of the PUT and of the
//! reads that follow it: one deployment, never two), read sees an idle deletion, delete removes
//! the deployment and never the model; bad input is refused before any request; the management
//! token goes to Azure Resource Manager only, and never into an answer.

use crate::util::*;
use openai_ft_emulator::Config;
use serde_json::{Value, json};

const TOKEN: &str = "arm-token-0123456789";
const SUBSCRIPTION: &str = "00000000-1111-2222-3333-444444444444";
const PATH: &str = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/res/deployments/served";

fn start(configure: impl FnOnce(&mut Config)) -> Emulator {
    Emulator::with(|c| {
        c.flavor = Flavor::Azure;
        c.management_tokens = vec![TOKEN.into()];
        c.arm_retry_after_secs = 0;
        configure(c);
    })
}

fn run(emulator: &Emulator, verb: &str, input: Value) -> Outcome {
    openai_ft(&["deployment", verb])
        .against(emulator)
        .env(
            "AZURE_RESOURCE_MANAGER_ENDPOINT",
            &emulator.running.endpoint(),
        )
        .env("AZURE_MANAGEMENT_TOKEN", TOKEN)
        .input(input)
        .run()
}

fn at(extra: Value) -> Value {
    let mut v = json!({"subscription_id": SUBSCRIPTION, "resource_group": "rg", "account": "res",
                       "name": "served", "poll_interval": "0.05"});
    for (k, x) in extra.as_object().expect("object") {
        v[k] = x.clone();
    }
    v
}

fn spec() -> Value {
    at(json!({"model": "gpt-4o-mini-2024-07-18", "sku": "GlobalStandard", "capacity": "2"}))
}

fn puts(emulator: &Emulator) -> u64 {
    emulator.count(&format!("PUT {PATH}"))
}

/// How many deployments ARM holds for the account.
fn deployments(emulator: &Emulator) -> usize {
    let r = emulator.call(
        "GET",
        &format!(
            "/subscriptions/{SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/res/deployments?api-version=2026-09-01"
        ),
        &[("authorization", &format!("Bearer {TOKEN}"))],
        None,
    );
    r.ok()["value"].as_array().expect("value").len()
}

#[test]
fn ensure_follows_the_create_to_its_end_and_is_idempotent_by_name() {
    let emulator = start(|_| {});
    let out = run(&emulator, "ensure", spec());
    let o = out.json();
    assert_eq!(o["provisioning_state"], "Succeeded", "{}", out.stderr);
    assert_eq!(o["created"], "true");
    assert_eq!(o["model"], "gpt-4o-mini-2024-07-18");
    assert_eq!(o["model_format"], "OpenAI");
    assert_eq!(o["sku"], "GlobalStandard");
    assert_eq!(o["capacity"], "2");
    assert_eq!(o["id"], PATH);
    assert!(
        out.stderr.contains("deployment served: Creating"),
        "{}",
        out.stderr
    );
    // Again: found serving the spec, nothing written.
    let again = run(&emulator, "ensure", spec()).json();
    assert_eq!(again["created"], "false");
    assert_eq!(puts(&emulator), 1);
    let read = run(&emulator, "read", spec()).json();
    assert_eq!(
        (read["exists"].as_str(), read["serves"].as_str()),
        ("true", "true")
    );
    // A new capacity is an update of the same deployment.
    let bigger = run(
        &emulator,
        "ensure",
        at(json!({"model": "gpt-4o-mini-2024-07-18", "sku": "globalstandard", "capacity": "5"})),
    )
    .json();
    assert_eq!(
        (bigger["created"].as_str(), bigger["capacity"].as_str()),
        ("true", "5")
    );
    assert_eq!(run(&emulator, "read", spec()).json()["serves"], "false");
    assert_eq!(deployments(&emulator), 1);
    // Delete removes it and waits until it is gone; a second delete finds none.
    let deleted = run(&emulator, "delete", at(json!({})));
    assert_eq!(deleted.json()["deleted"], "true", "{}", deleted.stderr);
    assert_eq!(deployments(&emulator), 0);
    assert_eq!(
        run(&emulator, "delete", at(json!({}))).json()["deleted"],
        "false"
    );
    let gone = run(&emulator, "read", at(json!({}))).json();
    assert_eq!(
        (gone["exists"].as_str(), gone["provisioning_state"].as_str()),
        ("false", "")
    );
}

#[test]
fn a_fine_tuned_model_is_deployed_and_deleting_the_deployment_keeps_the_model() {
    let emulator = start(|c| c.step_ms = 20);
    let file = openai_ft(&["file", "upload"])
        .against(&emulator)
        .input(json!({"path": data("supervised.jsonl")}))
        .run()
        .json();
    let job = openai_ft(&["job", "ensure"])
        .against(&emulator)
        .input(
            json!({"model": "gpt-4o-mini", "training_file": file["id"], "wait": "true",
                      "poll_interval": "0.05"}),
        )
        .run()
        .json();
    let model = job["fine_tuned_model"].clone();
    assert!(!model.is_empty(), "{job:?}");
    let out = run(
        &emulator,
        "ensure",
        at(json!({"model": model, "sku": "Developer"})),
    )
    .json();
    assert_eq!(
        (out["model"].as_str(), out["sku"].as_str()),
        (model.as_str(), "Developer")
    );
    run(&emulator, "delete", at(json!({}))).json();
    let listed = emulator.call(
        "GET",
        &format!("/openai/v1/models/{model}"),
        &[("api-key", PROJECT_KEY)],
        None,
    );
    assert_eq!(listed.ok()["id"], model.as_str());
}

#[test]
fn every_fault_of_the_put_and_of_the_reads_leaves_one_deployment() {
    for (method, fault) in [
        ("PUT", json!({"fault": "commit_then_drop"})),
        ("PUT", json!({"fault": "commit_then_500"})),
        ("PUT", json!({"fault": "reset"})),
        ("PUT", json!({"fault": "delay", "delay_ms": 2500})),
        ("PUT", json!({"fault": 503})),
        ("PUT", json!({"fault": 409})),
        ("GET", json!({"fault": "reset"})),
        ("GET", json!({"fault": 500})),
    ] {
        let emulator = start(|_| {});
        let mut rule = fault.clone();
        rule["method"] = json!(method);
        rule["path"] = json!(PATH);
        emulator.fault(rule);
        let out = openai_ft(&["deployment", "ensure"])
            .against(&emulator)
            .env(
                "AZURE_RESOURCE_MANAGER_ENDPOINT",
                &emulator.running.endpoint(),
            )
            .env("AZURE_MANAGEMENT_TOKEN", TOKEN)
            .env("OPENAI_FT_TIMEOUT", "1")
            .input(spec())
            .run();
        assert_eq!(
            out.json()["provisioning_state"],
            "Succeeded",
            "{fault}: {}",
            out.stderr
        );
        assert_eq!(deployments(&emulator), 1, "{method} {fault}");
        assert_eq!(
            run(&emulator, "ensure", spec()).json()["created"],
            "false",
            "{fault}"
        );
    }
}

#[test]
fn an_idle_deletion_shows_at_read_and_ensure_restores_it() {
    let emulator = start(|c| c.arm_steps = 0);
    run(&emulator, "ensure", spec()).json();
    let idle = emulator.control_post("/_emulator/deployments/served/idle", &json!({}));
    assert_eq!(idle.status, 200);
    let read = run(&emulator, "read", spec()).json();
    assert_eq!(
        (read["exists"].as_str(), read["serves"].as_str()),
        ("false", "false")
    );
    assert_eq!(run(&emulator, "ensure", spec()).json()["created"], "true");
    assert_eq!(run(&emulator, "read", spec()).json()["serves"], "true");
}

#[test]
fn a_failed_deployment_is_an_error_naming_the_state() {
    let emulator = start(|c| c.arm_failing_models = vec!["gpt-4o-mini-2024-07-18".into()]);
    let e = run(&emulator, "ensure", spec()).error();
    assert!(
        e.starts_with("the deployment \"served\" ended Failed in Azure Resource Manager, serving \"gpt-4o-mini-2024-07-18\" on GlobalStandard"),
        "{e}"
    );
    // An unknown model is Azure's refusal, in one line.
    let e = run(&emulator, "ensure", at(json!({"model": "no-such-model"}))).only_error();
    assert!(e.contains("DeploymentModelNotSupported"), "{e}");
}

#[test]
fn bad_input_and_a_missing_or_wrong_token_are_refused_before_or_at_the_first_request() {
    let emulator = start(|_| {});
    for (input, starts) in [
        (
            at(json!({"subscription_id": "sub"})),
            "invalid subscription_id \"sub\": must be a subscription id",
        ),
        (
            at(json!({"name": "a/b"})),
            "invalid name \"a/b\": must be 2-64 letters",
        ),
        (
            at(json!({"model": "m", "sku": "Premium"})),
            "invalid sku \"Premium\": must be one of Standard, GlobalStandard",
        ),
        (
            at(json!({"model": "m", "capacity": "0"})),
            "invalid capacity \"0\": must be an integer 1-100000",
        ),
        (
            at(json!({"wait_timeout_seconds": "0"})),
            "invalid wait_timeout_seconds \"0\"",
        ),
    ] {
        for verb in ["ensure", "read"] {
            let e = run(&emulator, verb, input.clone()).only_error();
            assert!(e.starts_with(starts), "{verb}: {e}");
        }
    }
    let e = run(&emulator, "ensure", at(json!({}))).only_error();
    assert!(e.starts_with("missing model:"), "{e}");
    assert!(emulator.log().is_empty(), "nothing is sent for bad input");
    let e = openai_ft(&["deployment", "ensure"])
        .against(&emulator)
        .env(
            "AZURE_RESOURCE_MANAGER_ENDPOINT",
            &emulator.running.endpoint(),
        )
        .input(spec())
        .run()
        .only_error();
    assert!(e.starts_with("AZURE_MANAGEMENT_TOKEN is not set"), "{e}");
    assert!(emulator.log().is_empty());
    let wrong = openai_ft(&["deployment", "read"])
        .against(&emulator)
        .env(
            "AZURE_RESOURCE_MANAGER_ENDPOINT",
            &emulator.running.endpoint(),
        )
        .env("AZURE_MANAGEMENT_TOKEN", "not-the-token")
        .input(spec())
        .run();
    let e = wrong.only_error();
    assert!(
        e.contains("InvalidAuthenticationToken") && e.contains("check AZURE_MANAGEMENT_TOKEN"),
        "{e}"
    );
    assert!(!wrong.stderr.contains("not-the-token"));
    // The openai flavour has no deployments.
    let openai = Emulator::start(10);
    let e = openai_ft(&["deployment", "ensure"])
        .against(&openai)
        .input(spec())
        .run()
        .only_error();
    assert!(
        e.starts_with("deployments exist on Azure OpenAI only"),
        "{e}"
    );
}

#[test]
fn the_token_never_shows_even_when_arm_echoes_it() {
    let emulator = start(|_| {});
    emulator.fault(json!({"method": "GET", "path": PATH, "fault": "echo", "status": 400}));
    let out = run(&emulator, "read", spec());
    assert!(
        !out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN),
        "{out:?}"
    );
    assert!(out.stderr.contains("[redacted]"), "{}", out.stderr);
}
