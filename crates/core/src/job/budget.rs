//! The budget gate of one job: what training it on the file a plan counted will bill, refused
//! over the user's limits before the job exists. `job check` applies it at plan from
//! modules/training_file's figures, so every path that creates a job (the whole plan, `-target`
//! of any part of the module, the enhanced wrapper) fails first; `job ensure` applies it again
//! at apply, just before it would create the job, with the job's own model and epochs and
//! against the file actually uploaded, so a saved plan applied after the file changed creates
//! nothing either.

use serde::Deserialize;

use super::spec::JobSpec;
use crate::api::{self, retry::Policy};
use crate::error::{Error, InputError, Result};
use crate::file::FileObject;
use crate::file::estimate::{Budget, Estimate, Plan, Price};
use crate::file::stats::TokenStats;
use crate::platform::{Credential, Method, Platform, Request};

/// The figures a plan counted for the training file: modules/training_file's `stats`, as much of
/// them as the estimate needs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileFigures {
    /// The model whose tokenizer and context limit counted the file (`None`: no model was given,
    /// so no limit capped the examples).
    pub model: Option<String>,
    pub examples: u64,
    /// The sum over examples of min(context limit, tokens).
    pub billed_tokens_per_epoch: u64,
    /// The SHA-256 (hex) of the bytes counted, which the upload's name carries.
    pub sha256: Option<String>,
}

/// A job's budget: the file's figures, the price of a million billed tokens (the user's, or the
/// table's for the job's model), and the limits. Empty, it refuses nothing and estimates nothing.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JobBudget {
    pub figures: Option<FileFigures>,
    pub price: Option<Price>,
    pub limits: Budget,
}

impl JobBudget {
    fn gated(&self) -> bool {
        self.limits.max_billed_tokens.is_some() || self.limits.max_cost_usd.is_some()
    }

    /// What `spec` will bill on the figures, `None` without figures. Refused: figures counted for
    /// another model than the job's (their tokenizer, limit and price are another model's), a
    /// limit without figures, and an estimate over a limit (the file commands' messages).
    pub fn check(&self, spec: &JobSpec) -> Result<Option<Estimate>> {
        let model = spec.model.as_str();
        let Some(figures) = &self.figures else {
            if self.gated() {
                return Err(Error::Failed(
                    "max_billed_tokens and max_cost_usd need the training file's figures: set \
                     training_file_stats = module.<training_file>.stats (modules/training_file), \
                     or unset the limits"
                        .into(),
                ));
            }
            return Ok(None);
        };
        if figures.model.as_deref() != Some(model) {
            let counted = match &figures.model {
                Some(m) => format!("for model {m:?}"),
                None => "without a model".to_owned(),
            };
            return Err(Error::Failed(format!(
                "training_file_stats were counted {counted} but the job fine-tunes {model:?}: \
                 pass the job's model to modules/training_file so the estimate uses its \
                 tokenizer, context limit and price"
            )));
        }
        let mut stats = TokenStats::default();
        stats.examples = figures.examples;
        stats.billed_per_epoch = figures.billed_tokens_per_epoch;
        let plan = Plan {
            model: Some(model.to_owned()),
            n_epochs: spec.method.n_epochs(),
            price: self.price.clone(),
            budget: self.limits.clone(),
            ..Plan::default()
        };
        Ok(Some(plan.check(&stats)?))
    }

    /// [`check`](Self::check), then, when a limit is set, that the training file is the one the
    /// figures were counted from: its upload name carries the SHA-256 of its bytes (one read of
    /// the file). Run just before the job is created.
    pub fn check_before_create(&self, platform: &mut dyn Platform, spec: &JobSpec) -> Result<()> {
        self.check(spec)?;
        let Some(figures) = self.figures.as_ref().filter(|_| self.gated()) else {
            return Ok(());
        };
        let id = spec.training_file.as_str();
        let Some(sha256) = figures.sha256.as_deref() else {
            return Err(InputError::invalid(
                "training_file_stats",
                "(no sha256)",
                "must name the SHA-256 of the file it counted, so the budget is checked against \
                 the file the job trains on: pass modules/training_file's stats output",
            )
            .into());
        };
        let request = Request::new(Method::Get, format!("/files/{id}"), Credential::Project);
        let file: FileObject = api::fetch(platform, &request, &Policy::SDK)?;
        if !file.filename.ends_with(&format!(".{sha256}.jsonl")) {
            return Err(Error::Failed(format!(
                "the training file {id} ({:?}) is not the file training_file_stats counted \
                 (sha256 {sha256}), so the budget was checked against other data; pass the id \
                 and the stats of the same modules/training_file, and plan again",
                file.filename
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file::estimate::PriceSource;
    use crate::input::Input;
    use crate::testing::Fake;

    const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn spec(model: &str, n_epochs: &str) -> JobSpec {
        let hyper = format!(r#"{{"n_epochs":"{n_epochs}"}}"#);
        let input: Input = [
            ("model", model),
            ("training_file", "file-001"),
            ("hyperparameters", hyper.as_str()),
        ]
        .into_iter()
        .collect();
        JobSpec::parse(&input).unwrap()
    }

    fn budget(
        model: Option<&str>,
        max_billed_tokens: Option<u64>,
        max_cost: Option<f64>,
    ) -> JobBudget {
        JobBudget {
            figures: Some(FileFigures {
                model: model.map(str::to_owned),
                examples: 10,
                billed_tokens_per_epoch: 1_000,
                sha256: Some(SHA.into()),
            }),
            price: Some(Price {
                per_million: 3.0,
                source: PriceSource::Input,
            }),
            limits: Budget {
                max_billed_tokens,
                max_cost_usd: max_cost.map(|c| (c, c.to_string())),
                fail_on_truncation: false,
            },
        }
    }

    const MODEL: &str = "gpt-4o-mini-2024-07-18";

    #[test]
    fn the_estimate_uses_the_job_s_epochs() {
        // 10 examples: "auto" is 10 epochs, as the service's documented default has it.
        let e = budget(Some(MODEL), None, None)
            .check(&spec(MODEL, "auto"))
            .unwrap()
            .unwrap();
        assert_eq!((e.n_epochs, e.auto, e.billed_tokens), (10, true, 10_000));
        let e = budget(Some(MODEL), None, None)
            .check(&spec(MODEL, "2"))
            .unwrap()
            .unwrap();
        assert_eq!(
            (e.n_epochs, e.billed_tokens, e.cost_usd),
            (2, 2_000, Some(0.006))
        );
        assert_eq!(JobBudget::default().check(&spec(MODEL, "2")).unwrap(), None);
    }

    #[test]
    fn every_refusal_names_the_figure_and_the_fix() {
        let refuse = |b: JobBudget| b.check(&spec(MODEL, "3")).unwrap_err().to_string();
        assert_eq!(
            refuse(budget(Some(MODEL), Some(2_999), None)),
            "estimated billed tokens 3000 exceed max_billed_tokens 2999: raise max_billed_tokens, \
             trim the file or lower n_epochs"
        );
        assert_eq!(
            refuse(budget(Some(MODEL), None, Some(0.001))),
            "estimated cost 0.0090 USD (3000 billed tokens) exceeds max_cost_usd 0.001: raise \
             max_cost_usd, trim the file or lower n_epochs"
        );
        assert_eq!(
            refuse(budget(Some("gpt-4.1-2025-04-14"), None, None)),
            "training_file_stats were counted for model \"gpt-4.1-2025-04-14\" but the job \
             fine-tunes \"gpt-4o-mini-2024-07-18\": pass the job's model to modules/training_file \
             so the estimate uses its tokenizer, context limit and price"
        );
        assert_eq!(
            refuse(budget(None, None, None)),
            "training_file_stats were counted without a model but the job fine-tunes \
             \"gpt-4o-mini-2024-07-18\": pass the job's model to modules/training_file so the \
             estimate uses its tokenizer, context limit and price"
        );
        let no_figures = JobBudget {
            figures: None,
            ..budget(Some(MODEL), Some(1), None)
        };
        assert_eq!(
            refuse(no_figures),
            "max_billed_tokens and max_cost_usd need the training file's figures: set \
             training_file_stats = module.<training_file>.stats (modules/training_file), or unset \
             the limits"
        );
        let no_price = JobBudget {
            price: None,
            ..budget(Some(MODEL), None, Some(1.0))
        };
        assert_eq!(
            refuse(no_price),
            "invalid max_cost_usd \"1\": no price is known for model \"gpt-4o-mini-2024-07-18\"; \
             set price_per_million_tokens"
        );
    }

    #[test]
    fn before_create_the_training_file_must_be_the_one_counted() {
        let mut fake = Fake::new();
        fake.files.push(serde_json::json!({
            "id": "file-001", "object": "file", "bytes": 10, "purpose": "fine-tune",
            "filename": format!("train.{SHA}.jsonl"),
        }));
        let gated = budget(Some(MODEL), Some(3_000), None);
        gated
            .check_before_create(&mut fake, &spec(MODEL, "3"))
            .unwrap();
        assert_eq!(fake.count("GET"), 1);

        fake.files[0]["filename"] = serde_json::json!(format!("train.{}.jsonl", "f".repeat(64)));
        assert_eq!(
            gated
                .check_before_create(&mut fake, &spec(MODEL, "3"))
                .unwrap_err()
                .to_string(),
            format!(
                "the training file file-001 (\"train.{}.jsonl\") is not the file \
                 training_file_stats counted (sha256 {SHA}), so the budget was checked against \
                 other data; pass the id and the stats of the same modules/training_file, and \
                 plan again",
                "f".repeat(64)
            )
        );
        // Figures without the hash of what they counted cannot vouch for the file.
        let mut unhashed = gated.clone();
        if let Some(f) = unhashed.figures.as_mut() {
            f.sha256 = None;
        }
        assert_eq!(
            unhashed
                .check_before_create(&mut fake, &spec(MODEL, "3"))
                .unwrap_err()
                .to_string(),
            "invalid training_file_stats \"(no sha256)\": must name the SHA-256 of the file it \
             counted, so the budget is checked against the file the job trains on: pass \
             modules/training_file's stats output"
        );
        // Without a limit nothing is gated, so the file is not read.
        let mut fake = Fake::new();
        budget(Some(MODEL), None, None)
            .check_before_create(&mut fake, &spec(MODEL, "3"))
            .unwrap();
        assert_eq!(fake.count("GET"), 0);
    }
}
