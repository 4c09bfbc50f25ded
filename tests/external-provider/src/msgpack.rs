//! The cty msgpack encoding Terraform uses for `DynamicValue`, limited to the types the
//! `external` data source schema needs (strings, lists and maps of strings, objects), plus null
//! and unknown. Unknown is a msgpack extension; any extension code decodes as unknown because
//! newer Terraform adds refinements to it.

use std::collections::BTreeMap;

/// A decoded value. Objects and maps share `Map`: on the wire both are msgpack maps with string
/// keys, and the schema, not the encoding, says which one a value is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Unknown,
    String(String),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
}

/// Decodes one msgpack value; trailing bytes are an error.
pub fn decode(bytes: &[u8]) -> Result<Value, String> {
    let mut reader = bytes;
    let raw = rmpv::decode::read_value(&mut reader).map_err(|e| format!("msgpack: {e}"))?;
    if !reader.is_empty() {
        return Err(format!("msgpack: {} trailing bytes", reader.len()));
    }
    from_rmpv(raw)
}

fn from_rmpv(raw: rmpv::Value) -> Result<Value, String> {
    Ok(match raw {
        rmpv::Value::Nil => Value::Null,
        rmpv::Value::Ext(_, _) => Value::Unknown,
        rmpv::Value::String(s) => Value::String(
            s.into_str()
                .ok_or_else(|| "msgpack: string is not valid UTF-8".to_string())?,
        ),
        rmpv::Value::Array(items) => {
            Value::List(items.into_iter().map(from_rmpv).collect::<Result<_, _>>()?)
        }
        rmpv::Value::Map(entries) => {
            let mut map = BTreeMap::new();
            for (k, v) in entries {
                let rmpv::Value::String(k) = k else {
                    return Err(format!("msgpack: map key {k} is not a string"));
                };
                let k = k
                    .into_str()
                    .ok_or_else(|| "msgpack: map key is not valid UTF-8".to_string())?;
                map.insert(k, from_rmpv(v)?);
            }
            Value::Map(map)
        }
        other => return Err(format!("msgpack: unsupported value {other}")),
    })
}

/// Encodes a value the way cty does: map keys in sorted order, unknown as extension 0.
pub fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = rmpv::encode::write_value(&mut out, &to_rmpv(value));
    out
}

fn to_rmpv(value: &Value) -> rmpv::Value {
    match value {
        Value::Null => rmpv::Value::Nil,
        Value::Unknown => rmpv::Value::Ext(0, vec![0]),
        Value::String(s) => rmpv::Value::from(s.as_str()),
        Value::List(items) => rmpv::Value::Array(items.iter().map(to_rmpv).collect()),
        Value::Map(entries) => rmpv::Value::Map(
            entries
                .iter()
                .map(|(k, v)| (rmpv::Value::from(k.as_str()), to_rmpv(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::String(v.to_string())
    }

    #[test]
    fn decodes_a_terraform_config_object_byte_for_byte() {
        // {"program": ["a"], "query": nil, "working_dir": "d"} as Terraform writes it.
        let bytes = [
            0x83, 0xa7, b'p', b'r', b'o', b'g', b'r', b'a', b'm', 0x91, 0xa1, b'a', 0xa5, b'q',
            b'u', b'e', b'r', b'y', 0xc0, 0xab, b'w', b'o', b'r', b'k', b'i', b'n', b'g', b'_',
            b'd', b'i', b'r', 0xa1, b'd',
        ];
        let value = decode(&bytes).unwrap();
        let Value::Map(m) = value else {
            panic!("not a map: {value:?}")
        };
        assert_eq!(m["program"], Value::List(vec![s("a")]));
        assert_eq!(m["query"], Value::Null);
        assert_eq!(m["working_dir"], s("d"));
    }

    #[test]
    fn unknown_is_extension_zero_and_refined_unknowns_decode_as_unknown() {
        assert_eq!(encode(&Value::Unknown), vec![0xd4, 0x00, 0x00]);
        assert_eq!(decode(&[0xd4, 0x00, 0x00]).unwrap(), Value::Unknown);
        // Terraform 1.6+ sends refined unknowns as extension 12 with a msgpack payload.
        assert_eq!(
            decode(&[0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc3]).unwrap(),
            Value::Unknown
        );
    }

    #[test]
    fn encodes_map_keys_sorted_and_round_trips() {
        let mut m = BTreeMap::new();
        m.insert("z".to_string(), s("1"));
        m.insert("a".to_string(), Value::Null);
        let bytes = encode(&Value::Map(m.clone()));
        assert_eq!(bytes, vec![0x82, 0xa1, b'a', 0xc0, 0xa1, b'z', 0xa1, b'1']);
        assert_eq!(decode(&bytes).unwrap(), Value::Map(m));
    }

    #[test]
    fn rejects_what_the_schema_cannot_hold() {
        assert!(decode(&[0x01]).unwrap_err().contains("unsupported"));
        assert!(decode(&[0xc0, 0xc0]).unwrap_err().contains("trailing"));
        assert!(
            decode(&[0x81, 0x01, 0xc0])
                .unwrap_err()
                .contains("not a string")
        );
    }
}
