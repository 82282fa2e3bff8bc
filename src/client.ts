import { isObject, readConfig, reason, type Settings } from './config';
import { pageContext } from './context';
import { createDelivery } from './delivery';
import { createEvents } from './events';
import { size as bytesOf } from './outbox';
import { createIdentity, uuid } from './identity';
import { merge, toJSON } from './payload';
import { render } from './render';
import { post } from './transport';
import type { Attributes, Client, EventName, Handler, Outcome, P13nError, Result } from './types';

export const VERSION = '0.1.0';

const resolved = <T>(value: T) => Promise.resolve(value);
const usage = (message: string): P13nError => ({ code: 'usage', message: 'p13n: ' + message });
// masks the 40-hex key and the 32-hex token secret in anything logged
const mask = (text: string) => text.replace(/[0-9a-f]{32,}/gi, '****');
/** Bytes an event may have: what one keepalive request can carry (64 KiB a page), less room for headers. */
export const MAX_EVENT_BYTES = 60 * 1024;

/**
 * A personalization client for one database/table. Nothing is sent until the config is checked; the checks,
 * `p13n:ready` and the first page view run a microtask later, so handlers added right after this returns
 * see them.
 */
export function createClient(config: unknown): Client {
  const checked = readConfig(config);
  const valid = !('code' in checked);
  // used only once `valid` says the config passed
  const settings = checked as Settings;
  const events = createEvents(settings);
  const identity = createIdentity(valid ? settings : { cookie: false });
  let attributes: Attributes = {};
  const log = settings.debug ? (...data: unknown[]) => console.log('p13n', ...data) : undefined;
  let delivery: ReturnType<typeof createDelivery>;

  const refuse = (error: P13nError): Outcome => {
    events.emit('error', { error });
    return { ok: false, error };
  };
  const fail = (error: P13nError, id?: string): Result => {
    events.emit('error', id ? { error, uuid: id } : { error });
    return { ok: false, error, offers: {}, uuid: id };
  };

  const started: Promise<Outcome> = resolved(0).then(() => {
    if (!valid) {
      console.error((checked as P13nError).message);
      return refuse(checked as P13nError);
    }
    identity.save();
    // resends what earlier pages left in the outbox
    delivery = createDelivery(settings, (error, id) => events.emit('error', { error, uuid: id }), log);
    events.emit('ready', { clientId: identity.get() });
    return { ok: true };
  });
  // registered first, so the page view goes out before calls made right after createClient
  started.then((outcome) => {
    if (outcome.ok && settings.pageview) deliver();
  });
  const send = (extra?: Attributes, track?: boolean) =>
    started.then((outcome) => (outcome.ok ? deliver(extra, track) : fail(outcome.error!)));

  async function deliver(extra?: Attributes, track?: boolean): Promise<Result> {
    if (extra != null && !isObject(extra)) {
      return fail({ code: 'invalid_event', message: 'p13n: attributes must be an object, e.g. { product_id: "42" }' });
    }
    let id = uuid();
    let body;
    try {
      const event = merge([
        { td_client_id: identity.get() },
        pageContext(VERSION),
        { time: Math.floor(Date.now() / 1000), uuid: id },
        settings.attributes,
        attributes,
        extra,
      ]);
      // a uuid of the page's own (an order id, say) is the event's idempotency key
      if (typeof event.uuid == 'string') id = event.uuid;
      body = toJSON(event);
    } catch (error) {
      body = { code: 'invalid_event', message: 'p13n: the event could not be built: ' + reason(error) } as P13nError;
    }
    if (typeof body != 'string') return fail(body, id);
    const size = bytesOf(body);
    if (size > MAX_EVENT_BYTES) {
      return fail({ code: 'too_large', message: `p13n: the event is ${size} bytes of JSON; at most ${MAX_EVENT_BYTES} fit one request` }, id);
    }
    if (log) log('→ POST', settings.url, mask(JSON.stringify(settings.headers)), JSON.parse(body));
    const reply = await (track
      ? delivery.send(id, body)
      : post({ url: settings.url, headers: settings.headers, body, timeout: settings.timeout, log }));
    if (!reply.ok) return fail(reply.error, id);
    const { status, offers } = reply;
    if (track) return { ok: true, status, offers: {}, uuid: id };
    // slots first, so handlers of p13n:offers see the page as rendered
    try {
      render(offers);
    } catch {} // a page's odd DOM must not cost it the offers
    events.emit('offers', { offers, names: Object.keys(offers), uuid: id, status });
    return { ok: true, status, offers, uuid: id };
  }

  const subscribe = (add: boolean) => <E extends EventName>(type: E, handler: Handler<E>): Promise<Outcome> =>
    resolved(
      (add ? events.on : events.off)(type, handler)
        ? { ok: true }
        : refuse(usage(`${add ? 'on' : 'off'} takes 'offers', 'error' or 'ready' and a function`)),
    );

  return {
    init: () => started,
    personalize: (extra) => send(extra),
    track: (extra) => send(extra, true),
    set(update) {
      if (!isObject(update)) return resolved(refuse(usage('set takes an object of attributes')));
      const next = merge([attributes, update]);
      for (const key in next) if (next[key] === null) delete next[key];
      attributes = next;
      return resolved({ ok: true });
    },
    consent: () => resolved({ ok: false, error: usage('consent is not available yet') }),
    on: subscribe(true),
    off: subscribe(false),
    clientId: () => started.then((outcome) => (outcome.ok ? identity.get() : undefined)),
    reset: () =>
      started.then((outcome) => {
        if (!outcome.ok) return outcome;
        identity.reset();
        attributes = {};
        return { ok: true };
      }),
  };
}
