// The configuration, read from the environment given: the host logic decides it from the
// variables it names, each secret masked before it sees it; the secrets' values stay here, to
// complete credential headers and to redact. No proxy is ever used (node:http reads no proxy
// variable), so loopback traffic never leaves the machine.

import { HostError, logic } from './logic.js';
import { Redactor } from './redact.js';

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
  return { ...settings.val, redactor, header };
}
