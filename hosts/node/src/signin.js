// Signing in to Azure with Microsoft Entra ID (docs/azure.md, "Sign in to Azure"): the host logic
// decides which credentials to try, where each may reach and every line said about them; this
// file builds @azure/identity's credential for each, keeps one token per audience in memory until
// it is due, and gets a new one when the server refused one. Every token and assertion is added to
// the redactor before it is used; the guest never holds one.

import { readFileSync } from 'node:fs';

import { logic } from './logic.js';

/** The credential `variable` the logic names when the header takes a sign-in's token. */
const TOKEN = '(Entra ID token)';

/** A failure to sign in, as the guest gets it (`transport`: worth a retry; else `missing-credential`). */
class Failure extends Error {
  constructor(message, transient) {
    super(message);
    this.transient = transient;
  }
}

/**
 * The process's sign-in for `endpoint` (none when the logic chose none), with `secrets` (the
 * trimmed values of the secret variables) and `redactor`. `say(line)` prints a line (stderr).
 */
export function signIn(endpoint, secrets, redactor) {
  if (endpoint.signin === undefined) return undefined;
  const { connectTimeoutSecs, timeoutSecs } = endpoint;
  // Every wait bounded: one library retry, each request within the timeouts, the whole sign-in
  // within their sum, `az` within the timeout.
  const deadlineMs = (connectTimeoutSecs + 2 * timeoutSecs) * 1000;
  const options = { retryOptions: { maxRetries: 1, maxRetryDelayInMs: 2000 } };
  // Instance discovery would ask Entra's public cloud about the authority: the logic checked it.
  const app = (a) => ({ ...options, authorityHost: a.authority, disableInstanceDiscovery: true });
  // Read once per credential (MSAL asks twice for one token), and a credential per token.
  const assertion = (read) => {
    let value;
    return async () => {
      value ??= String(await read()).trim();
      redactor.add(value);
      return value;
    };
  };
  const github = async (url) => {
    const signal = AbortSignal.timeout(timeoutSecs * 1000);
    const headers = { authorization: `Bearer ${secrets.get('ACTIONS_ID_TOKEN_REQUEST_TOKEN') ?? ''}`, accept: 'application/json' };
    const res = await fetch(url, { headers, signal, redirect: 'error' });
    const body = await res.json().catch(() => ({}));
    if (res.status !== 200 || typeof body.value !== 'string') throw new Error(`${url.split('?')[0]} answered ${res.status}`);
    return body.value;
  };
  // Loaded by a process that signs in only: a key needs no library (nor an Action release without it).
  const credential = async ({ tag, val }) => {
    const { AzureCliCredential, ClientAssertionCredential, ClientSecretCredential, ManagedIdentityCredential } =
      await import('@azure/identity');
    switch (tag) {
      case 'client-secret':
        return new ClientSecretCredential(val.tenant, val.clientId, secrets.get('AZURE_CLIENT_SECRET') ?? '', app(val));
      case 'workload-identity':
      case 'github-oidc': {
        const read = tag === 'github-oidc' ? () => github(val[1]) : () => readFileSync(val[1], 'utf8');
        return new ClientAssertionCredential(val[0].tenant, val[0].clientId, assertion(read), app(val[0]));
      }
      case 'managed-identity':
        return val[1] === undefined ? new ManagedIdentityCredential(options) : new ManagedIdentityCredential(val[1], options);
      default:
        return new AzureCliCredential({ processTimeoutInMs: timeoutSecs * 1000 });
    }
  };
  const sources = endpoint.signin;
  const tokens = new Map();
  let chosen;
  let say = (line) => process.stderr.write(`${line}\n`);
  const line = (notice) => logic().errorLine(logic().signinMessage(notice));

  /** One token from `source` for `audience`, from a new credential (so no library cache answers). */
  const fetchToken = async (source, audience) => {
    try {
      const scope = logic().signinScope(audience);
      const t = await (await credential(source)).getToken(scope, { abortSignal: AbortSignal.timeout(deadlineMs) });
      if (!t?.token) throw new Error('the answer holds no access token');
      redactor.add(t.token);
      return { value: t.token, obtained: BigInt(Math.floor(Date.now() / 1000)), expires: BigInt(Math.floor(t.expiresOnTimestamp / 1000)) };
    } catch (e) {
      const cause = redactor.text(String(e?.message ?? e).split('\n')[0].trim());
      const transient = e?.name === 'AbortError' || /ECONNREFUSED|ETIMEDOUT|ECONNRESET|timed? ?out/i.test(cause);
      throw new Failure(logic().signinMessage({ tag: 'failed', val: [source, cause] }), transient);
    }
  };

  /** A token for `audience`: the cached one while not due, else a new one; `fresh` drops it first. */
  const token = async (audience, fresh) => {
    const now = BigInt(Math.floor(Date.now() / 1000));
    const held = tokens.get(audience);
    if (!fresh && held && !logic().refreshDue(held.obtained, held.expires, now)) return held.value;
    let got;
    if (chosen !== undefined) got = await fetchToken(chosen, audience);
    else {
      const failures = [];
      let transient = true;
      for (const source of sources) {
        try {
          got = await fetchToken(source, audience);
          chosen = source;
          break;
        } catch (e) {
          if (sources.length === 1) throw e;
          failures.push(e.message);
          transient &&= e.transient;
        }
      }
      if (!got) throw new Failure(logic().signinMessage({ tag: 'none-worked', val: failures }), transient);
      say(line({ tag: 'signed-in', val: chosen }));
    }
    tokens.set(audience, got);
    return got.value;
  };

  return {
    /** Sends where `say` writes its lines (the API's onProgress). */
    listen(fn) {
      say = fn;
    },
    /**
     * Sends the prepared request `out` with `attempt(header)`; with a sign-in's token that the
     * server refuses (401), once more with a new token (a refused request did nothing).
     */
    async send(out, attempt, header) {
      if (out.credential.variable !== TOKEN) return attempt(header(out.credential));
      const audience = out.origin === endpoint.base ? 'cognitive-services' : 'management';
      const bearer = async (fresh) => ['authorization', `Bearer ${await token(audience, fresh)}`];
      try {
        const first = await attempt(await bearer(false));
        if (first.ok?.status !== 401) return first;
        const second = await attempt(await bearer(true));
        if (second.ok?.status === 401) say(line({ tag: 'refused', val: [chosen, audience] }));
        return second;
      } catch (e) {
        if (!(e instanceof Failure)) throw e;
        return { err: { tag: e.transient ? 'transport' : 'missing-credential', val: e.message } };
      }
    },
  };
}
