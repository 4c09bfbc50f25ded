// Every secret the host holds (keys, tokens) replaced by `[redacted]` wherever a server could echo
// one back: in each answer before the guest sees it, and in everything the host hands on (the
// guest's progress lines, the output values, the error). The native host's rule (host/src/redact.rs).

/** What a secret becomes. */
export const REDACTED = '[redacted]';

/** Shorter secrets are not searched for: they would mangle unrelated text, and no key is this short. */
export const MIN_SECRET_BYTES = 8;

export class Redactor {
  /**
   * Redacts `secrets` (those of at least MIN_SECRET_BYTES UTF-8 bytes), as they are and as a
   * JSON string would spell them (escaped, `/` escaped, non-ASCII as `\uXXXX`), so an echo inside
   * a JSON body goes whole and the body stays valid JSON.
   */
  constructor(secrets) {
    const forms = [];
    for (const secret of secrets) {
      if (secret === undefined || Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES) continue;
      const json = rustJson(secret);
      const slashed = json.replaceAll('/', '\\/');
      for (const form of [secret, json, asciiEscaped(json), asciiEscaped(slashed), slashed]) {
        if (!forms.includes(form)) forms.push(form);
      }
    }
    // Longest first, so an escaped form goes whole before a shorter one could match inside it.
    forms.sort((a, b) => Buffer.byteLength(b, 'utf8') - Buffer.byteLength(a, 'utf8'));
    this.forms = forms;
    // Latin-1 maps bytes to characters one to one: replacing text in it replaces bytes.
    this.byteForms = forms.map((f) => Buffer.from(f, 'utf8').toString('latin1'));
  }

  /** `text` with every secret replaced. */
  text(text) {
    return this.forms.reduce((out, form) => out.replaceAll(form, REDACTED), text);
  }

  /** `bytes` (a Buffer or Uint8Array) with every secret replaced, as a Buffer. */
  bytes(bytes) {
    const latin1 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    return Buffer.from(this.byteForms.reduce((out, form) => out.replaceAll(form, REDACTED), latin1), 'latin1');
  }

  /** Every string in `value` (strings, arrays, plain objects, nested) redacted; the rest as is. */
  deep(value) {
    if (typeof value === 'string') return this.text(value);
    if (Array.isArray(value)) return value.map((v) => this.deep(v));
    if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [this.text(k), this.deep(v)]));
    }
    return value;
  }
}

/** A JSON string's body as serde_json writes it: `"` `\` and control characters escaped only. */
function rustJson(s) {
  // JSON.stringify also escapes lone surrogates and U+2028/2029 differently from serde_json only
  // for characters no key contains; for the rest the two agree.
  return JSON.stringify(s).slice(1, -1);
}

/** A JSON string body with every non-ASCII character as `\uXXXX` (lower-case hex, UTF-16 units). */
function asciiEscaped(json) {
  return json.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
