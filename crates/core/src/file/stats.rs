//! Token statistics of a file, gathered example by example as the validator streams it: the
//! totals, the length of every example (as a count per length, so percentiles are exact in
//! memory bounded by the number of distinct lengths), and the lines over the context limit.

use std::collections::BTreeMap;

use super::count::ExampleTokens;
use crate::tokens::Encoding;

/// Over-limit lines kept by number; all are counted.
pub const OVER_LIMIT_KEPT: usize = 100;

/// What to count with: the tokenizer, and the context limit examples are checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counting {
    pub encoding: Encoding,
    /// `None`: no limit known, so no example is capped or reported as over.
    pub context_limit: Option<u64>,
}

/// The token figures of the valid examples of a file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TokenStats {
    pub counting: Counting,
    /// Examples counted (the valid ones).
    pub examples: u64,
    pub total: u64,
    /// Tokens trained on (see [`ExampleTokens::trained`]).
    pub trained: u64,
    /// Examples per token length.
    lengths: BTreeMap<u64, u64>,
    /// Examples with more tokens than the context limit.
    pub over_limit: u64,
    /// Their line numbers, the first [`OVER_LIMIT_KEPT`].
    pub over_limit_lines: Vec<u64>,
    /// The sum over examples of min(limit, tokens): what one epoch bills.
    pub billed_per_epoch: u64,
}

impl TokenStats {
    pub fn new(counting: Counting) -> Self {
        Self {
            counting,
            ..Self::default()
        }
    }

    pub fn add(&mut self, line: u64, t: ExampleTokens) {
        self.examples += 1;
        self.total += t.total;
        self.trained += t.trained;
        *self.lengths.entry(t.total).or_default() += 1;
        let billed = match self.counting.context_limit {
            Some(limit) if t.total > limit => {
                self.over_limit += 1;
                if self.over_limit_lines.len() < OVER_LIMIT_KEPT {
                    self.over_limit_lines.push(line);
                }
                limit
            }
            _ => t.total,
        };
        self.billed_per_epoch += billed;
    }

    pub fn min(&self) -> u64 {
        self.lengths.keys().next().copied().unwrap_or(0)
    }

    pub fn max(&self) -> u64 {
        self.lengths.keys().next_back().copied().unwrap_or(0)
    }

    pub fn mean(&self) -> f64 {
        match self.examples {
            0 => 0.0,
            n => self.total as f64 / n as f64,
        }
    }

    /// The nearest-rank percentile: the length of the example at rank ceil(p/100 x n) when the
    /// examples are sorted by length (an actual example's length, never an interpolation).
    pub fn percentile(&self, p: u64) -> u64 {
        let rank = (p * self.examples).div_ceil(100).max(1);
        let mut seen = 0;
        for (&len, &n) in &self.lengths {
            seen += n;
            if seen >= rank {
                return len;
            }
        }
        0
    }

    /// A few lines of histogram: examples per length range, ranges doubling from 16 tokens.
    pub fn histogram(&self) -> Vec<String> {
        const WIDTH: u64 = 30;
        let mut bins: BTreeMap<u64, u64> = BTreeMap::new();
        for (&len, &n) in &self.lengths {
            let upper = len.max(16).next_power_of_two();
            *bins.entry(upper).or_default() += n;
        }
        let most = bins.values().copied().max().unwrap_or(0).max(1);
        bins.iter()
            .map(|(&upper, &n)| {
                let lower = if upper == 16 { 0 } else { upper / 2 + 1 };
                let bar = "#".repeat(n.saturating_mul(WIDTH).div_ceil(most) as usize);
                format!("{:>15} tokens {bar:<30} {n}", format!("{lower}-{upper}"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(limit: Option<u64>, lengths: &[u64]) -> TokenStats {
        let mut s = TokenStats::new(Counting {
            encoding: Encoding::O200kBase,
            context_limit: limit,
        });
        for (i, &total) in lengths.iter().enumerate() {
            s.add(
                i as u64 + 1,
                ExampleTokens {
                    total,
                    trained: total / 2,
                },
            );
        }
        s
    }

    #[test]
    fn figures_and_nearest_rank_percentiles() {
        let s = stats(None, &[10, 30, 20, 40, 50, 60, 70, 80, 90, 100]);
        assert_eq!((s.min(), s.max(), s.total, s.trained), (10, 100, 550, 275));
        assert_eq!(s.mean(), 55.0);
        assert_eq!((s.percentile(50), s.percentile(95)), (50, 100));
        let s = stats(None, &[7]);
        assert_eq!((s.percentile(50), s.percentile(95)), (7, 7));
    }

    #[test]
    fn examples_over_the_limit_are_capped_counted_and_named() {
        let s = stats(Some(50), &[10, 60, 50, 70]);
        assert_eq!((s.over_limit, s.over_limit_lines.clone()), (2, vec![2, 4]));
        assert_eq!(s.billed_per_epoch, 10 + 50 + 50 + 50);
        assert_eq!(s.total, 190);
    }

    #[test]
    fn the_histogram_doubles_its_ranges() {
        let s = stats(None, &[3, 16, 17, 40, 40, 40]);
        assert_eq!(
            s.histogram(),
            vec![
                "           0-16 tokens ####################           2",
                "          17-32 tokens ##########                     1",
                "          33-64 tokens ############################## 3",
            ]
        );
    }
}
