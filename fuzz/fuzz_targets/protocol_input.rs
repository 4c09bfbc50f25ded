//! The host's protocol input parser (stdin or `OPENAI_FT_INPUT`) on any bytes: it answers Ok or
//! a one-line error, never panics, and what it accepts survives the trip through the output
//! renderer and back, so the host's own output is always valid input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openai_ft_host_logic::input::{parse_input, render_output};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    for source in ["stdin", "OPENAI_FT_INPUT"] {
        check(data, source);
    }
});

fn check(data: &[u8], source: &str) {
    let pairs = match parse_input(data, source) {
        Ok(pairs) => pairs,
        Err(e) => {
            let line = format!("{e:#}");
            assert!(!line.is_empty(), "an empty error for {data:?}");
            assert!(!line.contains(['\n', '\r']), "a multi-line error: {line:?}");
            assert!(
                line.contains(source),
                "the error does not name {source}: {line:?}"
            );
            return;
        }
    };
    // Accepted means: a JSON object whose every non-null value is the string returned for it.
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(data) else {
        panic!("accepted input that is not a JSON object: {data:?}");
    };
    let strings = map.values().filter(|v| v.is_string()).count();
    assert_eq!(pairs.len(), strings, "a string value lost or invented");
    for (key, value) in &pairs {
        assert_eq!(map.get(key).and_then(Value::as_str), Some(value.as_str()));
    }
    let out = render_output(pairs.clone());
    assert!(!out.contains(['\n', '\r']), "multi-line output: {out:?}");
    let back = parse_input(out.as_bytes(), source).expect("the host's output is refused as input");
    assert_eq!(back, pairs, "the output does not read back as the input");
}
