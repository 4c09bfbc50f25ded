//! Exact token counts with the byte-pair encoding of a model family, as OpenAI's `tiktoken` counts
//! them (`tiktoken-rs` vendors tiktoken's own Rust core, patterns and ranks files). A tokenizer is
//! built on first use, never at start-up, so a command that counts nothing never pays for it;
//! [`families`] is the one table of model names, tokenizers, context limits and prices.

pub mod families;

use std::fmt;

use crate::error::InputError;

/// A tokenizer (tiktoken's "encoding").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// gpt-4o, gpt-4.1, the o-series and gpt-5 models.
    #[default]
    O200kBase,
    /// gpt-3.5-turbo and gpt-4.
    Cl100kBase,
}

impl Encoding {
    pub const ALL: [Encoding; 2] = [Encoding::O200kBase, Encoding::Cl100kBase];

    /// tiktoken's name, also the `tokenizer` input.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::O200kBase => "o200k_base",
            Encoding::Cl100kBase => "cl100k_base",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<Self, InputError> {
        Self::ALL
            .into_iter()
            .find(|e| e.as_str() == raw.trim())
            .ok_or_else(|| InputError::invalid(field, raw, "must be o200k_base or cl100k_base"))
    }

    /// The tokenizer, built the first time it is asked for (about 0.7 G instructions for
    /// o200k_base: its 200,000 ranks and its pattern), or `None` in a build without tokenizers
    /// (the lean component, which only runs commands that count nothing).
    pub fn tokenizer(self) -> Option<Tokenizer> {
        #[cfg(feature = "tokenizer")]
        {
            let bpe = match self {
                Encoding::O200kBase => tiktoken_rs::o200k_base_singleton(),
                Encoding::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
            };
            Some(Tokenizer {
                encoding: self,
                bpe,
            })
        }
        #[cfg(not(feature = "tokenizer"))]
        None
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A built tokenizer: cheap to copy, shared for the rest of the process.
#[derive(Clone, Copy)]
pub struct Tokenizer {
    encoding: Encoding,
    #[cfg(feature = "tokenizer")]
    bpe: &'static tiktoken_rs::CoreBPE,
}

impl Tokenizer {
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The tokens of `text`. Text that spells a special token (`<|endoftext|>`) counts as
    /// ordinary text, as tiktoken's `encode_ordinary` (or `encode(.., disallowed_special=())`)
    /// counts it: a training example cannot inject one.
    pub fn count(&self, text: &str) -> u64 {
        #[cfg(feature = "tokenizer")]
        {
            self.bpe.encode_ordinary(text).len() as u64
        }
        #[cfg(not(feature = "tokenizer"))]
        {
            let _ = text;
            0
        }
    }
}

impl fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tokenizer({})", self.encoding)
    }
}

impl PartialEq for Tokenizer {
    fn eq(&self, other: &Self) -> bool {
        self.encoding == other.encoding
    }
}

impl Eq for Tokenizer {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_refuse_with_the_choices() {
        assert_eq!(
            Encoding::parse("tokenizer", "cl100k_base"),
            Ok(Encoding::Cl100kBase)
        );
        assert_eq!(
            Encoding::parse("tokenizer", "p50k_base")
                .unwrap_err()
                .to_string(),
            r#"invalid tokenizer "p50k_base": must be o200k_base or cl100k_base"#
        );
    }

    /// Figures tiktoken 0.12 gives for the same strings (`len(enc.encode_ordinary(s))`); the
    /// Python tests compare a whole corpus.
    #[test]
    fn counts_are_tiktokens() {
        let o200k = Encoding::O200kBase.tokenizer().unwrap();
        let cl100k = Encoding::Cl100kBase.tokenizer().unwrap();
        assert_eq!(o200k.count(""), 0);
        assert_eq!(o200k.count("hello world"), 2);
        assert_eq!(cl100k.count("hello world"), 2);
        // Special-token text is ordinary text.
        assert!(o200k.count("<|endoftext|>") > 1);
    }
}
