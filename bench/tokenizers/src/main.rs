//! Counts the tokens of every string in a JSONL file (stdin) with each tokenizer crate this build
//! has, and prints one JSON object per crate: strings, bytes, tokens, the time to build the
//! tokenizer and the time to count. With both crates built in, it also checks that they agree on
//! every string and prints the first strings they disagree on.
//!
//! `openai-ft-tokenizer-bench o200k_base < train.jsonl` (or `cl100k_base`). The same source runs
//! natively and as a wasm32-wasip2 command; scripts/bench runs both.

use std::io::Read;
use std::process::ExitCode;
use std::time::Instant;

use serde_json::Value;

fn main() -> ExitCode {
    let encoding = std::env::args().nth(1).unwrap_or_default();
    if encoding != "o200k_base" && encoding != "cl100k_base" {
        eprintln!("usage: openai-ft-tokenizer-bench o200k_base|cl100k_base < file.jsonl");
        return ExitCode::from(2);
    }
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("cannot read stdin: {e}");
        return ExitCode::FAILURE;
    }
    let mut strings = Vec::new();
    for (n, line) in input.lines().enumerate() {
        match serde_json::from_str::<Value>(line) {
            Ok(value) => collect(value, &mut strings),
            Err(e) => {
                eprintln!("line {}: {e}", n + 1);
                return ExitCode::FAILURE;
            }
        }
    }
    drop(input);
    let bytes: usize = strings.iter().map(String::len).sum();

    let mut runs: Vec<(&str, Vec<usize>)> = Vec::new();
    for counter in counters(&encoding) {
        let start = Instant::now();
        let count = (counter.build)();
        let built = start.elapsed();
        let start = Instant::now();
        let counts: Vec<usize> = strings.iter().map(|s| count(s)).collect();
        let counted = start.elapsed();
        let tokens: usize = counts.iter().sum();
        println!(
            "{}",
            serde_json::json!({
                "crate": counter.name,
                "encoding": encoding,
                "strings": strings.len(),
                "bytes": bytes,
                "tokens": tokens,
                "build_ms": built.as_secs_f64() * 1e3,
                "count_ms": counted.as_secs_f64() * 1e3,
                // In wasm: the linear memory's high-water mark so far, the memory the host's limit
                // caps (the file's strings included, the same for every crate; with both crates
                // in one build, the second's includes the first's).
                "memory_mib": memory_mib(),
            })
        );
        runs.push((counter.name, counts));
    }
    if let [(a, first), (b, second)] = runs.as_slice() {
        let differ: Vec<usize> = (0..strings.len())
            .filter(|&i| first[i] != second[i])
            .collect();
        for &i in differ.iter().take(5) {
            eprintln!("{a} {} vs {b} {}: {:?}", first[i], second[i], strings[i]);
        }
        println!("{}", serde_json::json!({ "disagreements": differ.len() }));
    }
    ExitCode::SUCCESS
}

/// The size of the linear memory, which only grows: its high-water mark (wasm only).
fn memory_mib() -> Option<f64> {
    #[cfg(target_arch = "wasm32")]
    {
        Some((core::arch::wasm32::memory_size(0) * 65536) as f64 / (1 << 20) as f64)
    }
    #[cfg(not(target_arch = "wasm32"))]
    None
}

/// Every string value in the example, however deep (keys are not counted by anyone).
fn collect(value: Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.into_iter().for_each(|v| collect(v, out)),
        Value::Object(map) => map.into_iter().for_each(|(_, v)| collect(v, out)),
        _ => {}
    }
}

type Count = Box<dyn Fn(&str) -> usize>;

struct Counter {
    name: &'static str,
    /// Builds the tokenizer (what a first count costs) and returns the counting function.
    build: Box<dyn Fn() -> Count>,
}

#[allow(unused_variables, unused_mut)]
fn counters(encoding: &str) -> Vec<Counter> {
    let o200k = encoding == "o200k_base";
    let mut out = Vec::new();
    #[cfg(feature = "tiktoken-rs")]
    out.push(Counter {
        name: "tiktoken-rs",
        build: Box::new(move || {
            // As the product counts: `encode_ordinary`, special-token text counted as text.
            let bpe = if o200k {
                tiktoken_rs::o200k_base_singleton()
            } else {
                tiktoken_rs::cl100k_base_singleton()
            };
            Box::new(move |s: &str| bpe.encode_ordinary(s).len())
        }),
    });
    #[cfg(feature = "bpe-openai")]
    out.push(Counter {
        name: "bpe-openai",
        build: Box::new(move || {
            let tokenizer = if o200k {
                bpe_openai::o200k_base()
            } else {
                bpe_openai::cl100k_base()
            };
            // Force the lazily built tokenizer now, so its cost is the build's, not the count's.
            tokenizer.count("");
            Box::new(move |s: &str| tokenizer.count(s))
        }),
    });
    out
}
