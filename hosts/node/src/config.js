// The configuration and the secrets it holds: the host logic decides the configuration from the
// variables it names, each secret masked before it sees it; the secrets' values stay here, to
// complete credential headers and to redact them (the native host's rule, host/src/redact.rs)
// wherever a server could echo one: in each answer before the guest sees it, and in everything
// the host hands on. No proxy is ever used (node:http reads no proxy variable).

import { HostError, logic } from './logic.js';
import { signIn } from './signin.js';

/** What a secret becomes. */
export const REDACTED = '[redacted]';

/** Shorter secrets are not searched for: they would mangle unrelated text, and no key is this short. */
export const MIN_SECRET_BYTES = 8;

export class Redactor {
  /**
   * Redacts `secrets` (those of at least MIN_SECRET_BYTES UTF-8 bytes), as they are and as a
   * JSON string would spell them (escaped as serde_json does, which JSON.stringify matches for
   * every character a key holds; `/` escaped; non-ASCII as `\uXXXX`), so an echo inside a JSON
   * body goes whole and the body stays valid JSON.
   */
  constructor(secrets) {
    this.forms = [];
    this.add(...secrets);
  }

  /** Redacts `secrets` too (a sign-in's tokens, once obtained). */
  add(...secrets) {
    const forms = new Set(this.forms);
    const ascii = (json) => json.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    for (const secret of secrets) {
      if (secret === undefined || Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES) continue;
      const json = JSON.stringify(secret).slice(1, -1);
      const slashed = json.replaceAll('/', '\\/');
      for (const form of [secret, json, ascii(json), ascii(slashed), slashed]) forms.add(form);
    }
    // Longest first, so an escaped form goes whole before a shorter one could match inside it.
    this.forms = [...forms].sort((a, b) => Buffer.byteLength(b, 'utf8') - Buffer.byteLength(a, 'utf8'));
    // Latin-1 maps bytes to characters one to one: replacing text in it replaces bytes.
    this.byteForms = this.forms.map((f) => Buffer.from(f, 'utf8').toString('latin1'));
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

/**
 * `{endpoint, limits}` as the logic decided them, with `redactor` (every secret set) and
 * `header(secretHeader)` (the credential header, completed). Throws a HostError, redacted.
 */
export function configure(env) {
  const l = logic();
  const white = l.whiteSpace();
  const mask = (value) => Array.from(value, (c) => (white.includes(c) ? c : '*')).join('');
  const set = l.variables().filter((v) => typeof env[v.name] === 'string');
  const { secrets, settings } = l.configure(set.map((v) => [v.name, v.secret ? mask(env[v.name]) : env[v.name]]));
  const values = new Map(
    secrets.map((s) => [s.variable, Array.from(env[s.variable]).slice(s.skip, s.skip + s.keep).join('')]),
  );
  const redactor = new Redactor([...values.values()]);
  if (settings.tag === 'err') throw new HostError(redactor.text(settings.val));
  const header = (h) => [h.name, `${h.prefix}${values.get(h.variable) ?? ''}`];
  return { ...settings.val, redactor, header, signin: signIn(settings.val.endpoint, values, redactor) };
}
