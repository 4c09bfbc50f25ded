//! What a job on a file will bill, and the budget gate: the epochs (the job's `n_epochs`, or the
//! service's documented default for `auto`), the billed tokens, their price, and the refusals
//! when a figure is over a limit the user set, checked before anything is uploaded.

use super::stats::{Counting, TokenStats};
use super::validator::Report;
use crate::error::{Error, InputError};
use crate::job::spec::Auto;
use crate::tokens::families::PRICES_DATED;

/// The `auto` heuristic of OpenAI's data-preparation notebook: 3 epochs, raised or lowered so
/// that examples x epochs lands between 100 and 25,000, within 1-25 epochs.
const TARGET_EPOCHS: u64 = 3;
const MIN_TARGET_EXAMPLES: u64 = 100;
const MAX_TARGET_EXAMPLES: u64 = 25_000;
const MIN_DEFAULT_EPOCHS: u64 = 1;
const MAX_DEFAULT_EPOCHS: u64 = 25;
/// Lines named in a one-line message about examples over the limit.
const LINES_IN_MESSAGE: usize = 5;

/// The epochs `auto` trains for on `examples` examples.
pub fn auto_epochs(examples: u64) -> u64 {
    let examples = examples.max(1);
    if examples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES {
        MAX_DEFAULT_EPOCHS.min(MIN_TARGET_EXAMPLES / examples)
    } else if examples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES {
        MIN_DEFAULT_EPOCHS.max(MAX_TARGET_EXAMPLES / examples)
    } else {
        TARGET_EPOCHS
    }
}

/// Where a price came from.
#[derive(Debug, Clone, PartialEq)]
pub enum PriceSource {
    /// `price_per_million_tokens`.
    Input,
    /// The dated default table, for this model family.
    Table(&'static str),
}

impl PriceSource {
    pub fn describe(&self) -> String {
        match self {
            PriceSource::Input => "price_per_million_tokens".into(),
            PriceSource::Table(family) => {
                format!("{family} in the price table of {PRICES_DATED}")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Price {
    /// USD per 1M billed training tokens.
    pub per_million: f64,
    pub source: PriceSource,
}

/// The limits a user set; any one over refuses the command.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Budget {
    pub max_billed_tokens: Option<u64>,
    /// The limit and how the user wrote it (for the message).
    pub max_cost_usd: Option<(f64, String)>,
    /// Refuse a file with examples over the context limit, instead of warning.
    pub fail_on_truncation: bool,
}

/// Everything a file command needs beyond the file: how to count, the model it is for, the
/// epochs, the price and the budget.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub counting: Counting,
    /// The model the user named, for messages.
    pub model: Option<String>,
    /// The job's `n_epochs`; `None` is `auto`.
    pub n_epochs: Option<Auto<u32>>,
    pub price: Option<Price>,
    pub budget: Budget,
}

/// The billing figures of a file under a [`Plan`].
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub n_epochs: u64,
    /// True when `n_epochs` is the `auto` heuristic's.
    pub auto: bool,
    pub billed_tokens: u64,
    pub cost_usd: Option<f64>,
}

impl Plan {
    pub fn estimate(&self, stats: &TokenStats) -> Estimate {
        let (n_epochs, auto) = match self.n_epochs {
            Some(Auto::Value(n)) => (u64::from(n), false),
            None | Some(Auto::Auto) => (auto_epochs(stats.examples), true),
        };
        let billed_tokens = stats.billed_per_epoch.saturating_mul(n_epochs);
        Estimate {
            n_epochs,
            auto,
            billed_tokens,
            cost_usd: self
                .price
                .as_ref()
                .map(|p| billed_tokens as f64 * p.per_million / 1e6),
        }
    }

    /// Refuses when an estimate is over a limit of the budget, or when examples are over the
    /// context limit and `fail_on_truncation` is set.
    pub fn check(&self, stats: &TokenStats) -> Result<Estimate, Error> {
        let estimate = self.estimate(stats);
        let b = &self.budget;
        if let Some(max) = b.max_billed_tokens
            && estimate.billed_tokens > max
        {
            return Err(Error::Failed(format!(
                "estimated billed tokens {} exceed max_billed_tokens {max}: raise \
                 max_billed_tokens, trim the file or lower n_epochs",
                estimate.billed_tokens
            )));
        }
        if let Some((max, raw)) = &b.max_cost_usd {
            let Some(cost) = estimate.cost_usd else {
                return Err(InputError::invalid(
                    "max_cost_usd",
                    raw,
                    format!(
                        "no price is known for {}; set price_per_million_tokens",
                        self.model
                            .as_deref()
                            .map_or("a file without a model".to_owned(), |m| format!(
                                "model {m:?}"
                            ))
                    ),
                )
                .into());
            };
            if cost > *max {
                return Err(Error::Failed(format!(
                    "estimated cost {} USD ({} billed tokens) exceeds max_cost_usd {}: raise \
                     max_cost_usd, trim the file or lower n_epochs",
                    usd(cost),
                    estimate.billed_tokens,
                    raw.trim()
                )));
            }
        }
        if b.fail_on_truncation && stats.over_limit > 0 {
            return Err(Error::Failed(format!(
                "{} and would be truncated; shorten or split them, or unset fail_on_truncation",
                over_limit(stats, self.model.as_deref())
            )));
        }
        Ok(estimate)
    }
}

/// The few lines `file` commands print on stderr: the figures, a histogram of example lengths,
/// the context limit (with a warning when examples are over it) and the billing estimate.
pub fn summary(name: &str, report: &Report, plan: &Plan, e: &Estimate) -> Vec<String> {
    let t = &report.tokens;
    let mut out = vec![
        format!(
            "{name}: {} examples, {} tokens ({}), {} trained; per example min {}, mean {:.1}, p50 {}, p95 {}, max {}",
            t.examples,
            t.total,
            t.counting.encoding,
            t.trained,
            t.min(),
            t.mean(),
            t.percentile(50),
            t.percentile(95),
            t.max()
        ),
        "example lengths:".to_owned(),
    ];
    out.extend(t.histogram().into_iter().map(|l| format!("  {l}")));
    match t.counting.context_limit {
        None => out.push("context limit: unknown; set context_limit to check it".into()),
        Some(limit) if t.over_limit == 0 => out.push(format!(
            "context limit: {limit} tokens; no example is over it"
        )),
        Some(_) => out.push(format!(
            "warning: {}; they will be truncated in training (fail_on_truncation refuses them)",
            over_limit(t, plan.model.as_deref())
        )),
    }
    let epochs = if e.auto { "auto" } else { "n_epochs" };
    let mut billed = format!(
        "billed: {} tokens x {} epochs ({epochs}) = {} tokens",
        t.billed_per_epoch, e.n_epochs, e.billed_tokens
    );
    if let (Some(cost), Some(price)) = (e.cost_usd, &plan.price) {
        billed.push_str(&format!(
            ", about {} USD at {} USD per 1M ({})",
            usd(cost),
            price.per_million,
            price.source.describe()
        ));
    }
    out.push(billed);
    out
}

/// `2 examples are over the 65536-token context limit of gpt-4o-mini (lines 4, 9)`.
pub fn over_limit(stats: &TokenStats, model: Option<&str>) -> String {
    let limit = stats.counting.context_limit.unwrap_or(0);
    let of = model.map(|m| format!(" of {m}")).unwrap_or_default();
    let (n, verb) = match stats.over_limit {
        1 => ("1 example".to_owned(), "is"),
        n => (format!("{n} examples"), "are"),
    };
    format!(
        "{n} {verb} over the {limit}-token context limit{of} ({})",
        lines(&stats.over_limit_lines, stats.over_limit, LINES_IN_MESSAGE)
    )
}

/// `line 4` / `lines 4, 9, 17 and 3 more`, from the first `show` of `kept`.
pub fn lines(kept: &[u64], all: u64, show: usize) -> String {
    let shown: Vec<String> = kept.iter().take(show).map(u64::to_string).collect();
    let more = all.saturating_sub(shown.len() as u64);
    let word = if all == 1 { "line" } else { "lines" };
    match more {
        0 => format!("{word} {}", shown.join(", ")),
        n => format!("{word} {} and {n} more", shown.join(", ")),
    }
}

/// Dollars with four decimals: a small file costs fractions of a cent.
pub fn usd(cost: f64) -> String {
    format!("{cost:.4}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file::count::ExampleTokens;
    use crate::file::stats::Counting;
    use crate::tokens::Encoding;

    #[test]
    fn auto_epochs_follow_the_notebook() {
        let rows = [
            (1, 25),
            (3, 25),
            (4, 25),
            (5, 20),
            (10, 10),
            (33, 3),
            (34, 3),
            (100, 3),
            (8_333, 3),
            (8_334, 2),
            (12_500, 2),
            (12_501, 1),
            (30_000, 1),
        ];
        for (examples, epochs) in rows {
            assert_eq!(auto_epochs(examples), epochs, "{examples} examples");
        }
    }

    fn stats(limit: Option<u64>, lengths: &[u64]) -> TokenStats {
        let mut s = TokenStats::new(Counting {
            encoding: Encoding::O200kBase,
            context_limit: limit,
        });
        for (i, &total) in lengths.iter().enumerate() {
            s.add(i as u64 + 1, ExampleTokens { total, trained: 0 });
        }
        s
    }

    fn plan(n_epochs: Option<Auto<u32>>, price: Option<f64>, budget: Budget) -> Plan {
        Plan {
            counting: Counting::default(),
            model: Some("gpt-4o-mini".into()),
            n_epochs,
            price: price.map(|per_million| Price {
                per_million,
                source: PriceSource::Input,
            }),
            budget,
        }
    }

    #[test]
    fn billed_tokens_are_capped_examples_times_epochs() {
        let s = stats(
            Some(100),
            &[50; 10].iter().copied().chain([150]).collect::<Vec<_>>(),
        );
        let e = plan(None, Some(2.0), Budget::default()).estimate(&s);
        // 11 examples: auto is 100 / 11 = 9 epochs; 10 x 50 + 100 per epoch.
        assert_eq!((e.n_epochs, e.auto, e.billed_tokens), (9, true, 5_400));
        assert_eq!(e.cost_usd, Some(5_400.0 * 2.0 / 1e6));
        let e = plan(Some(Auto::Value(2)), None, Budget::default()).estimate(&s);
        assert_eq!(
            (e.n_epochs, e.auto, e.billed_tokens, e.cost_usd),
            (2, false, 1_200, None)
        );
    }

    #[test]
    fn every_budget_refusal_names_the_figure_the_limit_and_the_fix() {
        let s = stats(
            Some(100),
            &[600_000, 634_567, 100, 100, 100, 100, 100, 100, 100, 100],
        );
        let one_epoch = Some(Auto::Value(1));
        let refuse = |p: Plan| p.check(&s).unwrap_err().to_string();
        let s2 = stats(None, &[617_283, 617_284]);
        let over = Budget {
            max_billed_tokens: Some(1_000_000),
            ..Budget::default()
        };
        assert_eq!(
            plan(one_epoch, None, over.clone())
                .check(&s2)
                .unwrap_err()
                .to_string(),
            "estimated billed tokens 1234567 exceed max_billed_tokens 1000000: raise max_billed_tokens, trim the file or lower n_epochs"
        );
        let cost = Budget {
            max_cost_usd: Some((0.001, "0.001".into())),
            ..Budget::default()
        };
        assert_eq!(
            refuse(plan(one_epoch, Some(3.0), cost.clone())),
            "estimated cost 0.0030 USD (1000 billed tokens) exceeds max_cost_usd 0.001: raise max_cost_usd, trim the file or lower n_epochs"
        );
        assert_eq!(
            refuse(plan(one_epoch, None, cost)),
            r#"invalid max_cost_usd "0.001": no price is known for model "gpt-4o-mini"; set price_per_million_tokens"#
        );
        let strict = Budget {
            fail_on_truncation: true,
            ..Budget::default()
        };
        assert_eq!(
            refuse(plan(one_epoch, None, strict)),
            "2 examples are over the 100-token context limit of gpt-4o-mini (lines 1, 2) and would be truncated; shorten or split them, or unset fail_on_truncation"
        );
        // At the limits, everything passes.
        let at = Budget {
            max_billed_tokens: Some(1_000),
            max_cost_usd: Some((0.003, "0.003".into())),
            fail_on_truncation: false,
        };
        assert_eq!(
            plan(one_epoch, Some(3.0), at)
                .check(&s)
                .unwrap()
                .billed_tokens,
            1_000
        );
    }

    #[test]
    fn line_lists_are_shortened() {
        assert_eq!(lines(&[4], 1, 5), "line 4");
        assert_eq!(
            lines(&[1, 2, 3, 4, 5, 6, 7], 12, 5),
            "lines 1, 2, 3, 4, 5 and 7 more"
        );
    }
}
