// A local stand-in for the Treasure Data Personalization API, strict about the published contract
// (shared/reference/personalization-api.md) so the tag is tested against the same refusals the real
// service gives, plus a control API (/_emulator/...) for logs and fault injection.
import { STATUS_CODES } from 'node:http';
import { readBody, tryJson, isPlainObject, send, sleep } from './http.mjs';
import { compileRules, evaluate, newProfile, updateProfile } from './rules.mjs';
import { createFaultStore, normalizeFault } from './faults.mjs';

/** The API's limit: "a maximum of 50 tokens per personalization service". */
export const MAX_TOKENS = 50;
/** The longest a `hang` fault without `forMs` holds a request. */
export const HANG_MS = 30_000;
export const MEDIA_TYPE = 'application/vnd.treasuredata.v1+json';
const NAME = /^[0-9a-z_]{3,128}$/;
const API_PATH = /^(?:\/public)?\/([^/]+)\/([^/]+)$/;
const AUTH = /^TD1 (\d+)\/[0-9a-fA-F]{40}$/;
/**
 * td-js-sdk's records endpoint (`https://us01.records.in.treasuredata.com/{database}/{table}` in 4.4), stood in for
 * here: td-js-sdk given this host and `pathname: '/records/'` sends its events to the emulator's log.
 */
export const INGEST_PATH = '/records/';
const TOKEN = /^(\d+)\/(\d+)\/[0-9a-fA-F]{32}$/;

/** Error messages as the reference lists them (the ones a fault may pick by code, too). */
export const MESSAGES = {
  2003: 'Kinesis error due to limit being exceeded',
  2013: 'Lambda total concurrent execution exceeds the reserved concurrency',
  3000: 'RT token was not provided (WP13n-Token header).',
  3001: 'RT token is not in configuration.',
  3002: 'RT token account conflicts with Authed user account.',
  3003: 'RT token is in an invalid format.',
  3004: 'Invalid event object.',
  3005: 'Request origin not in IP whitelist.',
  3009: 'Unsupported method.',
  9999: 'Unknown error.',
};

const PREFLIGHT = {
  'Access-Control-Allow-Methods': 'POST, OPTIONS',
  // Listed one by one: a `*` would not cover Authorization (Fetch spec), see delivery-facts.md.
  'Access-Control-Allow-Headers': 'Authorization, WP13n-Token, Content-Type, Accept',
  // Chromium caps it at 7200 s anyway.
  'Access-Control-Max-Age': '7200',
};

function checkTokens(tokens) {
  if (!Array.isArray(tokens)) throw new Error('settings: "tokens" must be an array of WP13n tokens');
  if (tokens.length > MAX_TOKENS) {
    throw new Error(`settings: ${tokens.length} tokens configured, but the Personalization API allows at most ${MAX_TOKENS} per service`);
  }
  for (const token of tokens) {
    if (typeof token !== 'string' || !TOKEN.test(token)) {
      throw new Error(`settings: token ${JSON.stringify(token)} is not {account_id}/{instance_id}/{32 hex}`);
    }
  }
}

function isMediaType(header) {
  if (!header) return false;
  const [type, ...params] = header.split(';').map((part) => part.trim().toLowerCase());
  return type === MEDIA_TYPE && params.every((param) => param.startsWith('charset='));
}

/**
 * @param {{ tokens?: string[], rules?: object[], latencyMs?: number, logLimit?: number }} options
 *   `latencyMs` delays every API answer (preflights too), for benchmarks on a realistic network.
 */
export function createEmulator({ tokens = [], rules = [], latencyMs = 0, logLimit = 1000 } = {}) {
  checkTokens(tokens);
  const configured = new Set(tokens);
  const compiled = compileRules(rules);
  const faults = createFaultStore();
  const log = [];
  const profiles = new Map();

  /** Logged on arrival, so the log keeps arrival order even when answers are delayed or never come. */
  function record(entry) {
    log.push(entry);
    if (log.length > logLimit) log.shift();
  }

  function finish(entry, res, status, body = '', headers = {}) {
    entry.status = status;
    entry.response = typeof body === 'string' ? body : JSON.parse(JSON.stringify(body));
    send(res, status, body, headers);
  }

  function fail(entry, res, status, code, message = MESSAGES[code]) {
    finish(entry, res, status, { code, message });
  }

  /** Returns true when the fault answered (or deliberately did not); false lets the request go on. */
  async function applyFault(fault, req, res, entry) {
    entry.fault = fault;
    if (fault.delayMs) await sleep(fault.delayMs);
    if (fault.drop) {
      entry.response = '(dropped: socket destroyed without an answer)';
      req.socket.destroy();
      return true;
    }
    if (fault.hang) {
      // an outage ends the way a load balancer ends it: 504 Gateway Timeout once the fault is over (after HANG_MS
      // for a fault counted in `times`), unless the client gave up first
      entry.response = '(hanging: 504 when the fault ends)';
      const cut = setTimeout(() => finish(entry, res, 504, 'Gateway Timeout', { 'Content-Type': 'text/plain' }), fault.endsInMs ?? HANG_MS);
      req.socket.once('close', () => clearTimeout(cut));
      return true;
    }
    if (fault.status === undefined) return false;
    if (fault.retryAfter !== undefined) res.setHeader('Retry-After', String(fault.retryAfter));
    if (fault.body !== undefined || fault.status < 400) {
      finish(entry, res, fault.status, fault.body || '', fault.body ? { 'Content-Type': 'text/plain; charset=utf-8' } : {});
    } else {
      const code = fault.code ?? (fault.status === 429 ? 2003 : fault.status >= 500 ? 9999 : fault.status);
      fail(entry, res, fault.status, code, fault.message ?? MESSAGES[code] ?? STATUS_CODES[fault.status]);
    }
    return true;
  }

  /** A request to answer and log: CORS first, on every answer (the browser must be able to read errors), and its entry. */
  function arrival(req, res, path) {
    res.setHeader('Access-Control-Allow-Origin', req.headers.origin || '*');
    res.setHeader('Vary', 'Origin');
    return { t: Date.now(), method: req.method, path, headers: { ...req.headers }, body: '', status: null, response: null };
  }

  /** Reads the request's body into its entry (parsed when it is JSON), logs the entry, and returns what was parsed. */
  async function logBody(req, entry) {
    const raw = await readBody(req);
    const event = raw === null ? undefined : tryJson(raw);
    entry.body = raw === null ? '(body over 1 MiB, not kept)' : event === undefined ? raw : event;
    record(entry);
    return event;
  }

  async function api(req, res, path) {
    const entry = arrival(req, res, path);
    // and Retry-After, on every answer
    res.setHeader('Access-Control-Expose-Headers', 'Retry-After');

    if (req.method === 'OPTIONS') {
      // Answered before any auth check: a preflight never carries the credentials.
      record(entry);
      await sleep(latencyMs);
      return finish(entry, res, 204, '', PREFLIGHT);
    }
    const event = await logBody(req, entry);
    await sleep(latencyMs);

    const route = API_PATH.exec(path);
    if (!route || !NAME.test(route[1]) || !NAME.test(route[2])) {
      return fail(entry, res, 404, 404, `Not found: ${path}. Use POST /{database}/{table} or /public/{database}/{table}, names matching [0-9a-z_]{3,128}.`);
    }
    if (req.method !== 'POST') return fail(entry, res, 400, 3009);

    let fault = null;
    if (isPlainObject(event) && event._fault !== undefined) {
      try {
        fault = normalizeFault(event._fault);
      } catch (error) {
        return fail(entry, res, 400, 3004, `Invalid event object: _fault: ${error.message}`);
      }
    }
    fault = fault || faults.take(path);
    if (fault && (await applyFault(fault, req, res, entry))) return;

    if (!isMediaType(req.headers['content-type'])) {
      return fail(entry, res, 415, 415, `Unsupported Media Type: Content-Type must be ${MEDIA_TYPE}`);
    }
    const auth = AUTH.exec(req.headers.authorization || '');
    // Not JSON on purpose: exercises the tag's generic `http` error path.
    if (!auth) return finish(entry, res, 401, 'Unauthorized', { 'Content-Type': 'text/plain; charset=utf-8' });
    const token = req.headers['wp13n-token'];
    if (!token) return fail(entry, res, 400, 3000);
    const parts = TOKEN.exec(token);
    if (!parts) return fail(entry, res, 400, 3003);
    if (!configured.has(token)) return fail(entry, res, 400, 3001);
    if (parts[1] !== auth[1]) return fail(entry, res, 400, 3002);
    if (!isPlainObject(event)) return fail(entry, res, 400, 3004);

    respond(req, res, entry, event);
  }

  function respond(req, res, entry, event) {
    if (typeof event.uuid === 'string' && log.some((e) => e !== entry && e.status === 200 && e.body?.uuid === event.uuid)) {
      entry.duplicate = true; // The tag promises one delivery per event: e2e tests look for this flag.
    }
    const id = event.td_client_id || event.td_global_id || event.email;
    let profile = id ? profiles.get(id) : undefined;
    if (!profile) {
      profile = newProfile();
      if (id) profiles.set(id, profile);
    }
    updateProfile(profile, event);
    const offers = evaluate(compiled, event, profile);
    // No match is the API's "200 OK without payload", so clients meet both kinds of success.
    if (Object.keys(offers).length === 0) return finish(entry, res, 200, '');
    const type = String(req.headers.accept || '').includes(MEDIA_TYPE) ? MEDIA_TYPE : 'application/json';
    finish(entry, res, 200, { offers }, { 'Content-Type': type });
  }

  /**
   * td-js-sdk's records endpoint (INGEST_PATH), stood in for so that a test sees both tags' requests in one log:
   * each is logged as an API call is, its body td-js-sdk's `{ events: [record] }`, and answered 200. td-js-sdk sends
   * credentials and headers of its own, so CORS answers as TD's collector must.
   */
  async function ingest(req, res, path) {
    const entry = arrival(req, res, path);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    if (req.method === 'OPTIONS') {
      record(entry);
      const headers = req.headers['access-control-request-headers'] || '';
      return finish(entry, res, 204, '', { 'Access-Control-Allow-Methods': 'POST, OPTIONS', 'Access-Control-Allow-Headers': headers });
    }
    await logBody(req, entry);
    finish(entry, res, 200, {}, { 'Content-Type': 'application/json' });
  }

  async function control(req, res, path) {
    // A demo page on another origin reads the log; no credentials are involved, so `*` is enough.
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cache-Control', 'no-store');
    const route = `${req.method} ${path}`;
    if (req.method === 'OPTIONS') {
      return send(res, 204, '', { 'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS', 'Access-Control-Allow-Headers': 'Content-Type' });
    }
    if (route === 'GET /_emulator/log') return send(res, 200, log);
    if (route === 'DELETE /_emulator/log') return reset({ keepFaults: true }), send(res, 204);
    if (route === 'GET /_emulator/profiles') return send(res, 200, Object.fromEntries(profiles));
    if (route === 'GET /_emulator/faults') return send(res, 200, faults.list());
    if (route === 'DELETE /_emulator/faults') return faults.clear(), send(res, 204);
    if (route === 'POST /_emulator/faults') {
      const body = tryJson((await readBody(req)) ?? '');
      try {
        (Array.isArray(body) ? body : [body]).forEach((fault) => faults.add(fault));
      } catch (error) {
        return send(res, 400, { error: error.message });
      }
      return send(res, 201, faults.list());
    }
    send(res, 404, { error: `no control endpoint ${route}` });
  }

  /** Clears the log and the visitor profiles, and the faults unless `keepFaults`. */
  function reset({ keepFaults = false } = {}) {
    log.length = 0; // Emptied in place: callers may hold on to `emulator.log`.
    profiles.clear();
    if (!keepFaults) faults.clear();
  }

  return {
    handle(req, res) {
      const path = new URL(req.url, 'http://localhost').pathname;
      const work = path.startsWith('/_emulator/') ? control(req, res, path) : path.startsWith(INGEST_PATH) ? ingest(req, res, path) : api(req, res, path);
      return work.catch((error) => send(res, 500, { code: 9999, message: `emulator bug: ${error.message}` }));
    },
    log,
    reset,
    setFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    faults: () => faults.list(),
    profile: (id) => profiles.get(id),
  };
}
