// Where requests go, which keys they carry and how far the guest may go, read once from the
// environment by the host. The guest never sees any of it: the same variables, defaults, rules and
// messages as the native host (host/src/endpoint.rs, host/src/main.rs `limits`), per HOST.md.

import { debugQuote, HostError } from './protocol.js';
import { Redactor } from './redact.js';

export const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

const FLAVORS = ['openai', 'azure', 'azure-classic'];

/**
 * Reads the endpoint configuration: `{flavor, base, project, admin, organization, projectId,
 * apiVersion, connectTimeoutMs, timeoutMs, redactor}`. `project` and `admin` are `[headerName,
 * value]` or the message naming the variable to set (`{missing: "..."}`); `redactor` removes the key
 * and token values in use from text. No proxy is ever used (node:http reads no proxy
 * variable), so loopback traffic never leaves the machine.
 */
export function endpointFromEnv(env) {
  const nonEmpty = (name) => {
    const v = env[name];
    if (v === undefined) return undefined;
    const t = rustTrim(v);
    return t === '' ? undefined : t;
  };
  const azureEndpoint = nonEmpty('AZURE_OPENAI_ENDPOINT');
  const named = nonEmpty('OPENAI_FT_FLAVOR');
  let flavor;
  if (named === undefined) {
    flavor = azureEndpoint !== undefined ? 'azure' : 'openai';
  } else if (FLAVORS.includes(named)) {
    flavor = named;
  } else {
    throw new HostError(
      `invalid OPENAI_FT_FLAVOR ${debugQuote(named)}: must be openai, azure or azure-classic (unset, it is azure when AZURE_OPENAI_ENDPOINT is set)`,
    );
  }
  let base;
  let projectAuth;
  let projectSecret;
  let apiVersion;
  if (flavor === 'openai') {
    base = checkBaseUrl('OPENAI_BASE_URL', nonEmpty('OPENAI_BASE_URL') ?? DEFAULT_BASE_URL);
    const key = nonEmpty('OPENAI_API_KEY');
    projectAuth = key === undefined ? undefined : ['authorization', `Bearer ${key}`];
    projectSecret = key;
  } else {
    if (azureEndpoint === undefined) {
      throw new HostError(
        `AZURE_OPENAI_ENDPOINT is not set: the ${flavor} flavour needs the resource endpoint, for example https://my-resource.openai.azure.com`,
      );
    }
    const root = checkBaseUrl('AZURE_OPENAI_ENDPOINT', azureEndpoint);
    const key = nonEmpty('AZURE_OPENAI_API_KEY');
    const token = nonEmpty('AZURE_OPENAI_AD_TOKEN');
    projectAuth =
      key !== undefined
        ? ['api-key', key]
        : token !== undefined
          ? ['authorization', `Bearer ${token}`]
          : undefined;
    projectSecret = key ?? token;
    if (flavor === 'azure') {
      base = `${root}/openai/v1`;
    } else {
      apiVersion = nonEmpty('OPENAI_API_VERSION');
      if (apiVersion === undefined) {
        throw new HostError(
          'OPENAI_API_VERSION is not set: the azure-classic flavour sends it on every request; set it, for example to 2025-04-01-preview, or use OPENAI_FT_FLAVOR=azure (no version needed)',
        );
      }
      base = `${root}/openai`;
    }
  }
  const project =
    projectAuth ??
    missing(
      flavor === 'openai'
        ? 'OPENAI_API_KEY is not set: export a project API key for the fine-tuning API in the environment that runs Terraform'
        : 'AZURE_OPENAI_API_KEY is not set: export the Azure OpenAI resource key, or an Entra ID token in AZURE_OPENAI_AD_TOKEN, in the environment that runs Terraform',
    );
  const adminKey = nonEmpty('OPENAI_ADMIN_KEY');
  const admin =
    flavor !== 'openai'
      ? missing(
          `checkpoint permissions do not exist on Azure OpenAI (flavour ${flavor}); grant access with Azure role assignments, or deploy the model into the other resource`,
        )
      : adminKey !== undefined
        ? ['authorization', `Bearer ${adminKey}`]
        : missing(
            'OPENAI_ADMIN_KEY is not set: checkpoint permissions need an organisation admin key with the api.fine_tuning.checkpoints.read and .write scopes; export it in the environment, never in Terraform code',
          );
  return {
    flavor,
    base,
    project,
    admin,
    organization: nonEmpty('OPENAI_ORG_ID'),
    projectId: nonEmpty('OPENAI_PROJECT_ID'),
    apiVersion,
    connectTimeoutMs: wholeNumber(env, 'OPENAI_FT_CONNECT_TIMEOUT', 10, 86_400, 'of seconds ') * 1000,
    timeoutMs: wholeNumber(env, 'OPENAI_FT_TIMEOUT', 120, 86_400, 'of seconds ') * 1000,
    redactor: new Redactor([projectSecret, adminKey].filter((s) => s !== undefined)),
  };
}

/** The guest's limits: `{memoryMiB, cpuSecs}` (defaults 256 MiB and 300 s). */
export function limitsFromEnv(env) {
  return {
    memoryMiB: wholeNumber(env, 'OPENAI_FT_MEMORY_LIMIT_MIB', 256, 4096, ''),
    cpuSecs: wholeNumber(env, 'OPENAI_FT_CPU_LIMIT_SECS', 300, 86_400, ''),
  };
}

function missing(message) {
  return { missing: message };
}

/** Rust's `u64::from_str` after `trim()`: an optional `+`, then ASCII digits. */
function wholeNumber(env, name, fallback, max, unit) {
  const v = env[name];
  if (v === undefined) return fallback;
  const t = rustTrim(v);
  if (/^\+?[0-9]+$/.test(t)) {
    const n = BigInt(t);
    if (n >= 1n && n <= BigInt(max)) return Number(n);
  }
  throw new HostError(`invalid ${name} ${debugQuote(v)}: must be a whole number ${unit}1-${max}`);
}

/** Rust's `str::trim`: Unicode White_Space, which (unlike JS's `trim`) excludes U+FEFF. */
function rustTrim(s) {
  return s.replace(/^[\p{White_Space}]+|[\p{White_Space}]+$/gu, '');
}

/**
 * Accepts `https://host[:port][/path]`, or `http://` to a loopback address; returns it without a
 * trailing slash.
 */
export function checkBaseUrl(name, url) {
  const fix = 'set it to the API base, for example https://api.openai.com/v1';
  const quoted = debugQuote(shown(url));
  const at = url.indexOf('://');
  if (at < 0) {
    throw new HostError(`invalid ${name} ${quoted}: not an absolute URL; ${fix}`);
  }
  const scheme = url.slice(0, at).toLowerCase();
  const rest = url.slice(at + 3);
  const authority = rest.split(/[/?#]/, 1)[0];
  if (authority === '' || authority.includes('@') || /[?#]/.test(rest)) {
    throw new HostError(
      `invalid ${name} ${quoted}: needs a host and no user, query or fragment; ${fix}`,
    );
  }
  if (scheme === 'http' && !isLoopback(authority)) {
    throw new HostError(
      `invalid ${name} ${quoted}: must use https (plain http is allowed only for loopback addresses such as http://127.0.0.1:8080/v1)`,
    );
  }
  if (scheme !== 'https' && scheme !== 'http') {
    throw new HostError(`invalid ${name} ${quoted}: the scheme must be https; ${fix}`);
  }
  return url.replace(/\/+$/, '');
}

/**
 * `url` as error lines show it: a password in its userinfo (`scheme://user:password@host`)
 * replaced by `[redacted]`, as the native host does.
 */
export function shown(url) {
  const at = url.indexOf('://');
  const start = at < 0 ? 0 : at + 3;
  const authority = url.slice(start).split(/[/?#]/, 1)[0];
  const userEnd = authority.lastIndexOf('@');
  if (userEnd < 0) return url;
  const colon = authority.indexOf(':');
  if (colon < 0 || colon > userEnd || colon + 1 === userEnd) return url;
  return `${url.slice(0, start + colon + 1)}[redacted]${url.slice(start + userEnd)}`;
}

/** Is the host part of `authority` (`host[:port]`) a loopback address? */
export function isLoopback(authority) {
  let host;
  if (authority.startsWith('[')) {
    host = authority.slice(1).split(']', 1)[0];
  } else {
    const colon = authority.lastIndexOf(':');
    host = colon < 0 ? authority : authority.slice(0, colon);
  }
  if (host.toLowerCase() === 'localhost') return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) {
    const octets = v4.slice(1);
    // Rust's parser refuses leading zeros and octets over 255.
    const valid = octets.every((o) => (o === '0' || !o.startsWith('0')) && Number(o) <= 255);
    return valid && octets[0] === '127';
  }
  return ipv6IsLoopback(host);
}

/** `::1` in any spelling Rust's `Ipv6Addr` parser accepts (no zone, no IPv4-mapped form). */
function ipv6IsLoopback(host) {
  if (!/^[0-9A-Fa-f:]+$/.test(host) || !host.includes(':')) return false;
  const halves = host.split('::');
  if (halves.length > 2) return false;
  const groups = (s) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const all = [...head, ...tail];
  if (!all.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  if (halves.length === 1 ? all.length !== 8 : all.length > 7) return false;
  const fill = halves.length === 2 ? new Array(8 - all.length).fill('0') : [];
  const words = [...head, ...fill, ...tail].map((g) => parseInt(g, 16));
  return words.slice(0, 7).every((w) => w === 0) && words[7] === 1;
}
