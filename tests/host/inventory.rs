//! `models inventory` against the emulator: exactly the fine-tuned models and checkpoints it
//! holds, with their dates and days left, on OpenAI (with the grants, or a note once when no
//! admin key is set) and on both Azure flavours (with the deployments of the account, paged by
//! `nextLink`), and the request that trains each again.

use std::collections::BTreeSet;

use crate::util::*;
use serde_json::{Value, json};

const BASE: &str = "gpt-4o-mini-2024-07-18";
const TOKEN: &str = "arm-token-0123456789";
const SUBSCRIPTION: &str = "00000000-1111-2222-3333-444444444444";

fn inventory(emulator: &Emulator, input: Value, admin: bool) -> Outcome {
    let mut cmd = openai_ft(&["models", "inventory"]).against(emulator);
    if admin {
        cmd = cmd.env("OPENAI_ADMIN_KEY", ADMIN_KEY);
    }
    if emulator.flavor != Flavor::OpenAi {
        cmd = cmd
            .env(
                "AZURE_RESOURCE_MANAGER_ENDPOINT",
                &emulator.running.endpoint(),
            )
            .env("AZURE_MANAGEMENT_TOKEN", TOKEN);
    }
    cmd.input(input).run()
}

/// What the emulator holds, from its own API: each fine-tuned model and each checkpoint.
fn held(emulator: &Emulator, jobs: &[&Value]) -> BTreeSet<(String, String)> {
    let mut all = BTreeSet::new();
    for job in jobs {
        all.insert((
            job["fine_tuned_model"]
                .as_str()
                .expect("a model")
                .to_owned(),
            "fine_tuned_model".to_owned(),
        ));
        let id = job["id"].as_str().expect("an id");
        let list = emulator.api(
            "GET",
            &format!("/fine_tuning/jobs/{id}/checkpoints?limit=100"),
            None,
        );
        for c in list["data"].as_array().expect("a list") {
            let name = c["fine_tuned_model_checkpoint"].as_str().expect("a name");
            if !all.iter().any(|(m, _)| m == name) {
                all.insert((name.to_owned(), "checkpoint".to_owned()));
            }
        }
    }
    all
}

fn listed(out: &std::collections::BTreeMap<String, String>) -> Vec<Value> {
    serde_json::from_str(&out["models"]).expect("models is a JSON list")
}

#[test]
fn openai_lists_every_model_and_checkpoint_with_dates_and_grants() {
    let soon = date_in(30);
    let emulator = Emulator::with(|c| {
        c.step_ms = 5;
        c.model_shutdown.insert(BASE.into(), soon.clone());
    });
    let (a, b) = (emulator.succeeded_job(2), emulator.succeeded_job(1));
    let shared = a["fine_tuned_model"].as_str().expect("a model");
    let granted = openai_ft(&["permissions", "grant"])
        .against(&emulator)
        .env("OPENAI_ADMIN_KEY", ADMIN_KEY)
        .input(json!({"checkpoint": shared, "project_id": "proj_other"}))
        .run();
    assert_eq!(granted.json()["count"], "1", "{}", granted.stderr);

    let out = inventory(&emulator, json!({}), true);
    let o = out.json();
    let models = listed(&o);
    let found: BTreeSet<(String, String)> = models
        .iter()
        .map(|m| {
            (
                m["model"].as_str().unwrap().into(),
                m["kind"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        found,
        held(&emulator, &[&a, &b]),
        "exactly what the emulator holds"
    );
    assert_eq!(o["count"], models.len().to_string());
    for m in &models {
        assert_eq!(m["base_model"], BASE, "{m}");
        assert_eq!(m["shutdown_date"], soon.as_str(), "{m}");
        assert_eq!(m["days_left"], 30, "{m}");
        let job = if m["job"] == a["id"] { &a } else { &b };
        assert_eq!(m["job"], job["id"]);
        assert_eq!(m["training_file"], job["training_file"]);
        let retrain = &m["retrain"];
        assert_eq!(retrain["model"], BASE);
        assert_eq!(retrain["training_file"], job["training_file"]);
        assert_eq!(retrain["training_method"], "supervised");
        assert_eq!(retrain["suffix"], "test");
        assert_eq!(
            retrain["hyperparameters"]["n_epochs"],
            job["method"]["supervised"]["hyperparameters"]["n_epochs"].to_string()
        );
        let wanted: Vec<&str> = if m["model"] == shared {
            vec!["proj_other"]
        } else {
            vec![]
        };
        assert_eq!(m["grants"], json!(wanted), "{m}");
    }
    let ending: Vec<String> = serde_json::from_str(&o["ending_soon"]).unwrap();
    assert_eq!(ending.len(), models.len());
    assert_eq!(o["nearest_shutdown_date"], soon);
    assert_eq!(o["nearest_days_left"], "30");
    assert_eq!(o["notes"], "[]");

    // Without an admin key: the same list, no grants, and one note saying why.
    let out = inventory(&emulator, json!({"format": "markdown"}), false);
    let o = out.json();
    assert_eq!(listed(&o).len(), models.len());
    assert!(listed(&o).iter().all(|m| m["grants"].is_null()));
    let notes: Vec<String> = serde_json::from_str(&o["notes"]).unwrap();
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0].starts_with("grants not read: OPENAI_ADMIN_KEY is not set"),
        "{notes:?}"
    );
    assert_eq!(
        out.stderr.matches("grants not read").count(),
        1,
        "{}",
        out.stderr
    );
    assert_eq!(
        o["table"].lines().count(),
        models.len() + 2,
        "{}",
        o["table"]
    );
}

#[test]
fn azure_lists_every_model_and_checkpoint_with_its_deployments_on_both_flavours() {
    let end = date_in(60);
    for flavor in [Flavor::Azure, Flavor::AzureClassic] {
        let emulator = Emulator::with(|c| {
            c.flavor = flavor;
            c.step_ms = 5;
            c.management_tokens = vec![TOKEN.into()];
            c.arm_steps = 0;
            c.arm_page_size = Some(1);
            c.inference_retirement.insert(BASE.into(), end.clone());
        });
        let file = emulator.upload("train.jsonl", SUPERVISED);
        let trained = openai_ft(&["job", "ensure"])
            .against(&emulator)
            .input(
                json!({"model": BASE, "training_file": file, "suffix": "inv",
                          "hyperparameters": "{\"n_epochs\":\"2\"}", "wait": "true",
                          "poll_interval": "0.05"}),
            )
            .run();
        let id = trained.json()["id"].clone();
        let job = emulator.api("GET", &format!("/fine_tuning/jobs/{id}"), None);
        let model = job["fine_tuned_model"].as_str().expect("a model");
        for (name, served) in [("first", model), ("base", BASE), ("second", model)] {
            let out = openai_ft(&["deployment", "ensure"])
                .against(&emulator)
                .env(
                    "AZURE_RESOURCE_MANAGER_ENDPOINT",
                    &emulator.running.endpoint(),
                )
                .env("AZURE_MANAGEMENT_TOKEN", TOKEN)
                .input(
                    json!({"subscription_id": SUBSCRIPTION, "resource_group": "rg",
                              "account": "res", "name": name, "model": served,
                              "poll_interval": "0.05"}),
                )
                .run();
            assert_eq!(
                out.json()["provisioning_state"],
                "Succeeded",
                "{}",
                out.stderr
            );
        }
        let at = json!({"subscription_id": SUBSCRIPTION, "resource_group": "rg", "account": "res"});
        let out = inventory(&emulator, at, false);
        let o = out.json();
        let models = listed(&o);
        let found: BTreeSet<(String, String)> = models
            .iter()
            .map(|m| {
                (
                    m["model"].as_str().unwrap().into(),
                    m["kind"].as_str().unwrap().into(),
                )
            })
            .collect();
        assert_eq!(found, held(&emulator, &[&job]), "{flavor:?}");
        for m in &models {
            assert_eq!(m["shutdown_date"], end.as_str(), "{flavor:?} {m}");
            assert_eq!(m["days_left"], 60, "{flavor:?} {m}");
            assert_eq!(m["base_model"], BASE, "{flavor:?} {m}");
            assert_eq!(m["retrain"]["training_file"], job["training_file"], "{m}");
            assert!(m["grants"].is_null());
            let names: Vec<&str> = m["deployments"]
                .as_array()
                .expect("deployments were read")
                .iter()
                .map(|d| d["name"].as_str().unwrap())
                .collect();
            let wanted: &[&str] = if m["model"] == model {
                &["first", "second"]
            } else {
                &[]
            };
            assert_eq!(names, wanted, "{flavor:?}: every page of the list");
        }
        assert_eq!(o["notes"], "[]");
        assert_eq!(
            emulator.count("GET /subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/res/deployments"),
            3,
            "{flavor:?}: one page of one deployment each"
        );
        // Without the account: no deployments, and a note saying how to read them.
        let o = inventory(&emulator, json!({}), false).json();
        assert!(listed(&o).iter().all(|m| m["deployments"].is_null()));
        assert!(
            o["notes"].contains("deployments not read"),
            "{}",
            o["notes"]
        );
    }
}

#[test]
fn deployments_are_refused_on_openai_before_any_request() {
    let emulator = Emulator::start(60_000);
    let out = inventory(&emulator, json!({"account": "res"}), false);
    assert_eq!(
        out.only_error(),
        "invalid account \"res\": deployments exist on Azure OpenAI only; leave subscription_id, \
         resource_group and account unset for OpenAI (its grants are read instead)"
    );
    assert!(emulator.log().is_empty(), "no request");
}
