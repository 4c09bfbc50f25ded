// Terraform's side of the conversation, as the native host speaks it (host/src/protocol.rs): the
// input is one JSON object of strings (nulls dropped), the output one flat JSON object of strings
// on one line, keys in byte order (serde_json's map is a BTreeMap) with serde_json's escaping.

/** A refusal by the host itself (configuration, input, limits): one line, like native's. */
export class HostError extends Error {
  constructor(message) {
    super(message);
    this.name = 'HostError';
  }
}

/** Byte order of the UTF-8 encodings, which is code point order. */
export function byteOrder(a, b) {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The largest input accepted, on stdin or in OPENAI_FT_INPUT (native's cap, HOST.md). */
export const MAX_INPUT_BYTES = 1 << 20;

/** The most keys an input object may have. */
export const MAX_INPUT_KEYS = 256;

/**
 * Parses the input bytes (`source` names where they came from, "stdin" or "OPENAI_FT_INPUT") into
 * `[key, value]` pairs in key order.
 */
export function parseInput(bytes, source) {
  if (bytes.length > MAX_INPUT_BYTES) {
    throw new HostError(
      `invalid input on ${source}: larger than ${MAX_INPUT_BYTES >> 20} MiB; send one JSON object of the command's inputs (a training file goes in by its path)`,
    );
  }
  const bad = utf8ValidUpTo(bytes);
  if (bad !== null) {
    throw new HostError(
      `invalid input on ${source}: not UTF-8 (byte ${bad}); send one JSON object of strings`,
    );
  }
  const text = Buffer.from(bytes).toString('utf8');
  if (text.replace(/[\p{White_Space}]/gu, '') === '') {
    throw new HostError(
      `no input on ${source}: send one JSON object of strings, for example {"id": "ftjob-abc123"}`,
    );
  }
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    // The parser's own detail differs from serde_json's (see HOST.md); the frame is the same.
    throw new HostError(
      `invalid input on ${source}: ${e.message}; send exactly one JSON object of strings`,
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HostError(
      `invalid input on ${source}: expected a JSON object of strings, got ${kind(value)}`,
    );
  }
  const keys = Object.keys(value);
  if (keys.length > MAX_INPUT_KEYS) {
    throw new HostError(
      `invalid input on ${source}: ${keys.length} keys, more than the ${MAX_INPUT_KEYS} accepted; send only the command's inputs (openai-ft <noun> --help lists them)`,
    );
  }
  const pairs = [];
  for (const key of keys.sort(byteOrder)) {
    const v = value[key];
    if (typeof v === 'string') pairs.push([key, v]);
    else if (v !== null) {
      throw new HostError(
        `invalid input ${debugQuote(key)} on ${source}: expected a string, got ${kind(v)}; pass structured values through jsonencode() and numbers as strings`,
      );
    }
  }
  return pairs;
}

function kind(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'boolean':
      return 'a boolean';
    case 'number':
      return 'a number';
    case 'string':
      return 'a string';
    default:
      return 'an object';
  }
}

/** Renders output pairs as native does: one line, keys in byte order, the last duplicate wins. */
export function renderOutput(pairs) {
  const map = new Map();
  for (const [k, v] of pairs) map.set(k, v);
  const keys = [...map.keys()].sort(byteOrder);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(map.get(k))}`).join(',')}}`;
}

/** Where the first invalid UTF-8 sequence starts (Rust's `Utf8Error::valid_up_to`), or null. */
export function utf8ValidUpTo(bytes) {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i];
    let len;
    let lo = 0x80;
    let hi = 0xbf;
    if (b < 0x80) len = 1;
    else if (b >= 0xc2 && b <= 0xdf) len = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      len = 3;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      len = 4;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    if (i + len > n) return i;
    for (let j = 1; j < len; j++) {
      const c = bytes[i + j];
      const [min, max] = j === 1 ? [lo, hi] : [0x80, 0xbf];
      if (c < min || c > max) return i;
    }
    i += len;
  }
  return null;
}

/**
 * Rust's `{:?}` of a string, for quoting offending input in messages: `"` and `\` escaped, the
 * usual control escapes, other control characters as `\u{..}`. (Rust also escapes non-printable
 * Unicode beyond the control ranges; such input is quoted literally here.)
 */
export function debugQuote(s) {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c === 0) out += '\\0';
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) out += `\\u{${c.toString(16)}}`;
    else out += ch;
  }
  return `${out}"`;
}
