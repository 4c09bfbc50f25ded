//! The streaming JSONL validator on any bytes, for every training method: the report must not
//! depend on how the file was cut into chunks (whole, one byte at a time, or cut at random
//! places, empty chunks included), it must count what it was fed, keep its problems in order
//! and within the cap, and its refusal must be one line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openai_ft_core::file::validator::{MAX_PROBLEMS_KEPT, Report, Validator};
use openai_ft_core::training_method::TrainingMethod;

fuzz_target!(|data: &[u8]| {
    // Feeding byte by byte is the slowest split; one method a run (by the length) keeps the
    // fuzzer fast, and the splitting is the same code for every method.
    let bytewise = TrainingMethod::ALL[data.len() % TrainingMethod::ALL.len()];
    for method in TrainingMethod::ALL {
        let whole = validate(method, [data]);
        check_report(&whole, data);
        if method == bytewise {
            let bytes = validate(method, data.chunks(1));
            assert_eq!(
                bytes, whole,
                "{method}: one byte at a time differs from one chunk"
            );
        }
        let cut = validate(method, random_chunks(data));
        assert_eq!(cut, whole, "{method}: random chunks differ from one chunk");
    }
});

fn validate<'a>(method: TrainingMethod, chunks: impl IntoIterator<Item = &'a [u8]>) -> Report {
    let mut validator = Validator::new(method);
    for chunk in chunks {
        validator.feed(chunk);
    }
    validator.finish()
}

fn check_report(report: &Report, data: &[u8]) {
    assert_eq!(report.bytes, data.len() as u64);
    assert_eq!(report.sha256.len(), 64);
    assert!(report.problems.len() <= MAX_PROBLEMS_KEPT);
    assert!(report.problem_count >= report.problems.len() as u64);
    let lines = data.split(|&b| b == b'\n').count() as u64;
    assert!(
        report.examples <= lines,
        "{} examples in {lines} lines",
        report.examples
    );
    // Line problems in line order, then the file-level ones (line 0).
    let (numbered, file_level): (Vec<_>, Vec<_>) = report.problems.iter().partition(|p| p.line > 0);
    assert!(
        numbered.windows(2).all(|w| w[0].line < w[1].line),
        "{:?}",
        report.problems
    );
    assert!(numbered.iter().all(|p| p.line <= lines));
    assert!(
        report
            .problems
            .ends_with(&file_level.into_iter().cloned().collect::<Vec<_>>())
    );
    match report.check("training file", "train.jsonl") {
        Ok(()) => assert_eq!(report.problem_count, 0),
        Err(e) => {
            let line = e.to_string();
            assert!(
                !line.contains(['\n', '\r']),
                "a multi-line refusal: {line:?}"
            );
        }
    }
}

/// Cuts `data` into chunks of 0 to 63 bytes, from a seed that depends on the data, so every input
/// is cut differently but always the same way (a crash reproduces).
fn random_chunks(data: &[u8]) -> Vec<&[u8]> {
    let mut state = data.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    }) | 1;
    let mut chunks = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        // xorshift64
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = ((state % 64) as usize).min(rest.len());
        let (chunk, tail) = rest.split_at(len);
        chunks.push(chunk);
        rest = tail;
    }
    chunks
}
