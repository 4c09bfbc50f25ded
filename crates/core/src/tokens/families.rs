//! The one table of model families: which tokenizer each uses, how many tokens one training
//! example may hold before the service truncates it, and what a million training tokens cost.
//! Every figure can be overridden by an input (`tokenizer`, `context_limit`,
//! `price_per_million_tokens`); a model the table does not know is an error naming `tokenizer`.
//!
//! Sources. The project's API digest (`../shared/openai-openapi/FINE_TUNING_API.md`) and the
//! OpenAPI spec it summarises document no context limits or prices, so the figures come from:
//! - tokenizers: tiktoken 0.12's `MODEL_PREFIX_TO_ENCODING` (`tiktoken/model.py`): `gpt-4o-`,
//!   `gpt-4.1-`, `o1-`, `o3-`, `o4-mini-`, `gpt-5-` use o200k_base; `gpt-4-`, `gpt-3.5-turbo-`,
//!   `gpt-35-turbo-` (Azure's spelling) use cl100k_base.
//! - context limits: OpenAI's fine-tuning guide, "Token limits" (platform.openai.com/docs/guides/
//!   fine-tuning): training examples of gpt-4o-2024-08-06 and gpt-4o-mini-2024-07-18 hold
//!   65,536 tokens, gpt-3.5-turbo-0125 and -1106 16,385, gpt-3.5-turbo-0613 4,096; the gpt-4.1
//!   snapshots are listed with the same 65,536 as gpt-4o; gpt-4-0613's is its 8,192-token context.
//! - prices: [`PRICES_DATED`], USD per 1M training tokens, from openai.com/api/pricing
//!   ("Fine-tuning", the training column). Reinforcement fine-tuning (o4-mini) is billed per hour
//!   of training, not per token (help.openai.com, "Billing guide for the Reinforcement Fine
//!   Tuning API": $100 per hour), so those families have no token price.

use super::Encoding;
use crate::error::InputError;

/// When the price column was read from openai.com/api/pricing.
pub const PRICES_DATED: &str = "2025-08-01";

/// One model family.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Family {
    /// The base name: a model is in the family when its name is this, or this followed by `-`
    /// and more (`gpt-4o-mini-2024-07-18`).
    pub prefix: &'static str,
    pub encoding: Encoding,
    /// Tokens one training example may hold; longer ones are truncated. `None`: not documented.
    pub context_limit: Option<u64>,
    /// USD per 1M training tokens; `None`: not billed per token, or not known.
    pub price_per_million: Option<f64>,
}

const fn family(
    prefix: &'static str,
    encoding: Encoding,
    context_limit: Option<u64>,
    price_per_million: Option<f64>,
) -> Family {
    Family {
        prefix,
        encoding,
        context_limit,
        price_per_million,
    }
}

use Encoding::{Cl100kBase, O200kBase};

/// Most specific first: the first family whose prefix matches wins.
pub const FAMILIES: &[Family] = &[
    family("gpt-4o-mini", O200kBase, Some(65_536), Some(3.00)),
    family("gpt-4o", O200kBase, Some(65_536), Some(25.00)),
    family("gpt-4.1-nano", O200kBase, Some(65_536), Some(1.50)),
    family("gpt-4.1-mini", O200kBase, Some(65_536), Some(5.00)),
    family("gpt-4.1", O200kBase, Some(65_536), Some(25.00)),
    family("o4-mini", O200kBase, None, None),
    family("o3", O200kBase, None, None),
    family("o1", O200kBase, None, None),
    family("gpt-5", O200kBase, None, None),
    family("gpt-3.5-turbo-0613", Cl100kBase, Some(4_096), Some(8.00)),
    family("gpt-3.5-turbo", Cl100kBase, Some(16_385), Some(8.00)),
    family("gpt-4", Cl100kBase, Some(8_192), None),
];

/// The family of `model`: a base model (`gpt-4o-mini-2024-07-18`), an OpenAI fine-tuned model or
/// checkpoint (`ft:gpt-4o-mini-2024-07-18:org:suffix:id`, by its base), or an Azure name
/// (`gpt-35-turbo-0125`, or `gpt-4o-mini-2024-07-18.ft-0123abcd` for a fine-tuned one).
pub fn family_of(model: &str) -> Result<&'static Family, InputError> {
    let name = base_of(model).to_ascii_lowercase();
    // Azure drops the dot: gpt-35-turbo is gpt-3.5-turbo.
    let name = match name.strip_prefix("gpt-35-turbo") {
        Some(rest) => format!("gpt-3.5-turbo{rest}"),
        None => name,
    };
    FAMILIES
        .iter()
        .find(|f| {
            name.strip_prefix(f.prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('-'))
        })
        .ok_or_else(|| {
            InputError::invalid(
                "model",
                model,
                "no known tokenizer for this model; set tokenizer to o200k_base or cl100k_base",
            )
        })
}

/// A fine-tuned model's base name.
fn base_of(model: &str) -> &str {
    let model = model.trim();
    if let Some(rest) = model.strip_prefix("ft:") {
        return rest.split(':').next().unwrap_or(rest);
    }
    match model.find(".ft-") {
        Some(at) => &model[..at],
        None => model,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_onto_their_family() {
        let rows: &[(&str, &str, Encoding)] = &[
            ("gpt-4o-mini-2024-07-18", "gpt-4o-mini", O200kBase),
            ("gpt-4o-mini", "gpt-4o-mini", O200kBase),
            ("gpt-4o-2024-08-06", "gpt-4o", O200kBase),
            ("gpt-4.1-2025-04-14", "gpt-4.1", O200kBase),
            ("gpt-4.1-mini-2025-04-14", "gpt-4.1-mini", O200kBase),
            ("gpt-4.1-nano", "gpt-4.1-nano", O200kBase),
            ("o4-mini-2025-04-16", "o4-mini", O200kBase),
            ("o3-mini", "o3", O200kBase),
            ("o1", "o1", O200kBase),
            ("gpt-5-2025-08-07", "gpt-5", O200kBase),
            ("gpt-3.5-turbo-0125", "gpt-3.5-turbo", Cl100kBase),
            ("gpt-3.5-turbo-0613", "gpt-3.5-turbo-0613", Cl100kBase),
            ("gpt-4-0613", "gpt-4", Cl100kBase),
            ("gpt-4", "gpt-4", Cl100kBase),
            // Fine-tuned models and checkpoints, by their base.
            (
                "ft:gpt-4o-mini-2024-07-18:org:suffix:abc123",
                "gpt-4o-mini",
                O200kBase,
            ),
            (
                "ft:gpt-3.5-turbo-0125:org::abc:ckpt-step-10",
                "gpt-3.5-turbo",
                Cl100kBase,
            ),
            // Azure's spellings.
            ("gpt-35-turbo-0125", "gpt-3.5-turbo", Cl100kBase),
            ("gpt-35-turbo-0613", "gpt-3.5-turbo-0613", Cl100kBase),
            (
                "gpt-4o-mini-2024-07-18.ft-0123abcd",
                "gpt-4o-mini",
                O200kBase,
            ),
            ("GPT-4.1-2025-04-14", "gpt-4.1", O200kBase),
        ];
        for (model, prefix, encoding) in rows {
            let f = family_of(model).unwrap();
            assert_eq!((f.prefix, f.encoding), (*prefix, *encoding), "{model}");
        }
        assert_eq!(
            family_of("gpt-4o-mini").unwrap().context_limit,
            Some(65_536)
        );
        assert_eq!(
            family_of("gpt-3.5-turbo-0125").unwrap().context_limit,
            Some(16_385)
        );
    }

    #[test]
    fn an_unknown_model_names_the_tokenizer_input() {
        for model in ["gpt-4.5-preview", "gpt-4x", "llama-3", "davinci-002", "ft:"] {
            assert_eq!(
                family_of(model).unwrap_err().to_string(),
                format!(
                    "invalid model {model:?}: no known tokenizer for this model; set tokenizer to o200k_base or cl100k_base"
                ),
                "{model}"
            );
        }
    }
}
