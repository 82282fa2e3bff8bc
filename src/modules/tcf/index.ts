import type { P13nError, TcfOptions } from '../../types';

/** IAB TCF purposes the tag needs by default: 1 store and access on a device, 5 and 6 personalised content. */
export const PURPOSES = [1, 5, 6];
/** How long a page may go without a CMP's answer before consent counts as denied. */
export const CMP_WAIT_MS = 3000;
/** How often a framed tag asks the CMP again (see readTcf). */
export const FRAME_ASK_MS = 1000;

/** The part of IAB's TCData the decision reads (CMP API v2.2). */
export interface TCData {
  gdprApplies?: boolean;
  eventStatus?: string;
  purpose?: { consents?: Record<string, boolean> };
  vendor?: { consents?: Record<string, boolean> };
  publisher?: { consents?: Record<string, boolean> };
}
type Callback = (data: TCData | null, success: boolean) => void;
type TcfApi = (command: string, version: number, callback: Callback, parameter?: unknown) => void;

/**
 * The CMP API's names, built at run time: the build mangles properties that start with `_` (rollup.config.mjs),
 * and these are the protocol's, not ours.
 */
const API = '_' + '_tcfapi';
const LOCATOR = API + 'Locator';
const CALL = API + 'Call';
const RETURN = API + 'Return';
const pageApi = () => (window as unknown as Record<string, TcfApi | undefined>)[API];

const isWhole = (value: unknown, least: number) => typeof value == 'number' && value % 1 == 0 && value >= least;

/** `tcf`'s options, checked: what is wrong, or the purposes, vendor and wait to use. */
export function readOptions(options: TcfOptions = {}): string | Required<Pick<TcfOptions, 'purposes' | 'timeout'>> & TcfOptions {
  const { purposes = PURPOSES, vendorId, timeout = CMP_WAIT_MS } = options;
  if (!Array.isArray(purposes) || !purposes.every((purpose) => isWhole(purpose, 1) && purpose <= 11)) return 'config.tcf.purposes is invalid: a list of TCF purpose ids, 1 to 11';
  if (vendorId !== undefined && !isWhole(vendorId, 1)) return 'config.tcf.vendorId is invalid: your IAB Global Vendor List id, a whole number';
  if (!isWhole(timeout, 0)) return 'config.tcf.timeout is invalid: milliseconds, a whole number';
  return { purposes, vendorId, timeout };
}

/**
 * The decision a CMP's answer gives, or undefined while it is not final: only `tcloaded` (a stored choice) and
 * `useractioncomplete` (the visitor just chose) are; `cmpuishown` is a banner still open. Granted when GDPR does
 * not apply (IAB's CmpApi then sends no `purpose` at all), or when every purpose has consent: for `vendorId`, its
 * purpose consents and the vendor's own; without one, as the publisher's purposes. A purpose the CMP leaves out
 * (IAB's list stops at the highest purpose consented) has none.
 */
export function decision(data: TCData | null, purposes: number[], vendorId?: number): 'granted' | 'denied' | undefined {
  if (!data || (data.eventStatus != 'tcloaded' && data.eventStatus != 'useractioncomplete')) return;
  if (data.gdprApplies === false) return 'granted';
  const given = (vendorId ? data.purpose : data.publisher)?.consents || {};
  const granted = purposes.every((purpose) => given[purpose] === true) && (!vendorId || data.vendor?.consents?.[vendorId] === true);
  return granted ? 'granted' : 'denied';
}

/**
 * The page's CMP API: `__tcfapi` in this window, or, from a frame, the `__tcfapiLocator` frame's window up the
 * ancestors, reached by postMessage as the CMP API v2 specifies.
 */
function findApi(): TcfApi | undefined {
  const own = pageApi();
  if (typeof own == 'function') return own;
  for (let frame: Window = window; frame != top; ) {
    frame = frame.parent;
    try {
      if (frame.frames[LOCATOR as never]) return bridge(frame);
    } catch {} // a frame whose frames we may not read
  }
  return undefined;
}

/**
 * `__tcfapi` through postMessage to the window that holds the locator frame: answers come back by `callId`, one
 * per callback (a framed tag asks again every FRAME_ASK_MS with the same one: one id, not one more each second).
 */
function bridge(target: Window): TcfApi {
  const waiting = new Map<string, Callback>();
  const ids = new Map<Callback, string>();
  addEventListener('message', (event) => {
    let data = event.data;
    try {
      if (typeof data == 'string') data = JSON.parse(data);
      const answer = data && data[RETURN];
      const callback = answer && waiting.get(answer.callId);
      if (callback) callback(answer.returnValue, answer.success);
    } catch {} // another script's message
  });
  return (command, version, callback, parameter) => {
    let callId = ids.get(callback);
    if (!callId) ids.set(callback, (callId = 'p13n-' + ids.size));
    waiting.set(callId, callback);
    target.postMessage({ [CALL]: { command, version, callId, parameter } }, '*');
  };
}

/**
 * Reads consent from the page's IAB TCF CMP and hands each decision to `decide` as it changes: the first once the
 * CMP has loaded a stored choice or the visitor has made one (a banner left open keeps it pending), then every
 * change, a withdrawal included. With no CMP found within `timeout` ms (looked for every 100 ms), or a CMP that
 * reports an error (IAB's `disable()`), consent is denied. From a frame it also asks `getTCData` every
 * FRAME_ASK_MS, since the bridge in IAB's own stub (`@iabtechlabtcf/stub` 1.5.21) answers a framed caller only
 * when the CMP answers at once: never for a call made before the CMP has its data, and once, not at each change,
 * for a listener.
 */
export default function readTcf(options: TcfOptions | undefined, decide: (decision: 'granted' | 'denied') => void, report: (error: P13nError) => void) {
  const checked = readOptions(options);
  if (typeof checked == 'string') {
    // as the core words a config error (core/errors.ts), which a module does not import
    report({ code: 'config', message: `p13n: ${checked}; see https://www.npmjs.com/package/p13n-tag#errors` });
    return decide('denied');
  }
  const { purposes, vendorId, timeout } = checked;
  let last: string | undefined;
  const settle = (now?: 'granted' | 'denied') => now && now != last && decide((last = now));
  const hear: Callback = (data, success) => {
    // IAB's CmpApi calls a listener that throws again, with (null, false): nothing here throws
    try {
      settle(success ? decision(data, purposes, vendorId) : (data as { cmpStatus?: string } | null)?.cmpStatus == 'error' ? 'denied' : undefined);
    } catch {}
  };
  const started = Date.now();
  const look = () => {
    const api = findApi();
    if (!api) {
      if (Date.now() - started < timeout) setTimeout(look, 100);
      else settle('denied');
      return;
    }
    try {
      api('addEventListener', 2, hear);
    } catch {
      return void settle('denied'); // a CMP API that throws at a well-formed call answers nothing
    }
    if (api != pageApi()) setInterval(() => api('getTCData', 2, hear), FRAME_ASK_MS);
  };
  look();
}
