import { isObject, readConfig, reason, type Settings } from './config';
import { pageContext } from './context';
import { createDelivery, hasWaiting, outboxOf } from './delivery';
import { createEvents } from './events';
import { size as bytesOf } from './outbox';
import { createIdentity, uuid } from './identity';
import { merge, toJSON } from './payload';
import { createCache } from './cache';
import { createPrehide } from './prehide';
import { createRenderer } from './render';
import { watchRoutes } from './spa';
import { post } from './transport';
import type { Attributes, Client, Consent, EventName, Handler, Outcome, P13nError, Result } from './types';

export const VERSION = '0.1.0';

const resolved = <T>(value: T) => Promise.resolve(value);
/** After the page's own start: in idle time where the browser has it (Safari has not), else in the next task. */
const idle = (work: () => unknown) => ('requestIdleCallback' in self ? requestIdleCallback(work, { timeout: 1000 }) : setTimeout(work, 1));
const usage = (message: string): P13nError => ({ code: 'usage', message: 'p13n: ' + message });
// masks the 40-hex key and the 32-hex token secret in anything logged
const mask = (text: string) => text.replace(/[0-9a-f]{32,}/gi, '****');
/** Bytes an event may have: what one keepalive request can carry (64 KiB a page), less room for headers. */
export const MAX_EVENT_BYTES = 60 * 1024;
/** Calls held while consent is pending; beyond this the oldest is dropped. Enough for a long-pending banner. */
export const MAX_HELD = 30;

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
  const prehide = createPrehide(valid ? settings.prehide : undefined, valid ? settings.prehideTimeout : 0, settings.nonce);
  const renderer = createRenderer();
  const render = renderer.render;
  const cache = settings.cache ? createCache('p13n:cache:' + settings.url, settings.cache.ttl) : undefined;
  let attributes: Attributes = {};
  const log = settings.debug ? (...data: unknown[]) => console.log('p13n', ...data) : undefined;
  let delivery: ReturnType<typeof createDelivery> | undefined;
  /**
   * `track` delivery, built by the first `track`, or in idle time when earlier pages left events to send: a page
   * that never tracks pays for no outbox (its locks, storage rewrites, timers and listeners).
   */
  const deliveries = () => (delivery = delivery || createDelivery(settings, (error, id) => events.emit('error', { error, uuid: id }), log));
  // Global Privacy Control, when the site honours it, is a refusal no banner click overrides
  const gpc = valid && settings.respectGPC && (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl === true;
  let consent: Consent = gpc ? 'denied' : settings.consent;
  // calls waiting for a consent decision, oldest first: each is told 'granted', 'denied' or 'dropped'
  let held: ((decision: string) => void)[] = [];
  // settles once the last call's request is on its way: calls reach fetch in the order they were made, so a
  // track (stored first, under a lock) is sent before a personalize made after it
  let line: Promise<unknown> = resolved(0);
  let views = 0; // page views started: only the latest one's answer renders
  let shown = 0; // the latest page view whose answer is in
  let routes: ((on: boolean) => void) | undefined;

  // hidden from the moment the tag runs; an invalid config shows at once what the snippet hid
  prehide.hide();
  if (!valid) prehide.reveal();

  const refuse = (error: P13nError): Outcome => {
    events.emit('error', { error });
    return { ok: false, error };
  };
  const fail = (error: P13nError, id?: string): Result => {
    events.emit('error', id ? { error, uuid: id } : { error });
    return { ok: false, error, offers: {}, uuid: id };
  };

  /** Consent decided: sends or drops what was held, in call order, and keeps no trace of a visitor who said no. */
  function decide(decision: Consent) {
    const was = consent;
    consent = decision;
    if (decision == 'granted') {
      identity.save();
      // resends what earlier pages left in the outbox, once the page's own start is done
      if (!delivery && hasWaiting(settings)) idle(() => consent == 'granted' && deliveries());
      // the page view held (or refused) until now is on its way: hide what its answer fills, so no default flashes
      if (views > shown) prehide.hide();
      // a visitor who said no, then yes: this page's view was refused, so it goes now
      if (was == 'denied' && views) view();
    } else if (decision == 'denied') {
      identity.forget();
      if (delivery) delivery.clear();
      else outboxOf(settings).clear();
      if (cache) cache.clear();
      renderer.clear();
      prehide.reveal();
    }
    if (decision != 'pending') {
      const waiting = held;
      held = [];
      waiting.forEach((resume) => resume(decision));
    }
  }

  const started: Promise<Outcome> = resolved(0).then(() => {
    if (!valid) {
      console.error((checked as P13nError).message);
      return refuse(checked as P13nError);
    }
    decide(consent);
    events.emit('ready', { clientId: consent == 'granted' ? identity.get() : undefined });
    return { ok: true };
  });
  // registered first, so the page view goes out before calls made right after createClient
  started.then((outcome) => {
    if (!outcome.ok) return;
    if (settings.pageview) view();
    if (settings.spa) spa(true);
  });
  const send = (extra?: Attributes, track?: boolean) => {
    // the page as it is now: a single-page app often changes route right after a call
    const context = pageContext(VERSION);
    const time = Date.now();
    return started.then((outcome) => (outcome.ok ? deliver(extra, track, undefined, context, time) : fail(outcome.error!)));
  };

  /**
   * A page view: the page context, and the offers cached for this path, if any, rendered at once. A route's
   * view is built as it settles and sent once the route has its title (`titled`), with that title.
   */
  function view(referrer?: string, titled?: Promise<unknown>) {
    const current = ++views;
    const path = location.pathname;
    const cached = cache && consent == 'granted' && cache.get(path);
    if (cached) {
      shown = current;
      render(cached.offers, true);
      prehide.reveal();
      events.emit('offers', { offers: cached.offers, names: Object.keys(cached.offers), uuid: cached.uuid, status: cached.status, cached: true });
    }
    const page = { current, path, referrer };
    if (!titled) return deliver(undefined, false, page);
    const context = pageContext(VERSION);
    return titled.then(() => deliver(undefined, false, page, ((context.td_title = document.title), context)));
  }
  function spa(on: boolean) {
    // a route change hides again what the last route's answer showed, until this route's answer is in; a route
    // left and come back to at once shows it again
    const move = (moving: boolean) => (moving ? consent != 'denied' && prehide.hide() : views == shown && prehide.reveal());
    if (on) routes = routes || watchRoutes(view, move);
    if (routes) routes(on);
  }

  /** Waits for consent, when pending; the answer says whether the call may go out. */
  const allowed = () =>
    consent == 'pending'
      ? new Promise<string>((resume) => {
          held.push(resume);
          if (held.length > MAX_HELD) held.shift()!('dropped');
        })
      : consent;

  async function deliver(
    extra?: Attributes,
    track?: boolean,
    page?: { current: number; path: string; referrer?: string },
    context = pageContext(VERSION),
    time = Date.now(),
  ): Promise<Result> {
    if (extra != null && !isObject(extra)) {
      return fail({ code: 'invalid_event', message: 'p13n: attributes must be an object, e.g. { product_id: "42" }' });
    }
    let id = uuid();
    let body;
    try {
      const event = merge([
        { td_client_id: identity.get() },
        context,
        page && page.referrer != null ? { td_referrer: page.referrer } : null,
        { time: Math.floor(time / 1000), uuid: id },
        settings.attributes,
        attributes,
        extra,
      ]);
      // a uuid of the page's own (an order id, say) is the event's idempotency key; anything else is replaced
      if (typeof event.uuid == 'string' && event.uuid) id = event.uuid;
      else event.uuid = id;
      body = toJSON(event);
    } catch (error) {
      body = { code: 'invalid_event', message: 'p13n: the event could not be built: ' + reason(error) } as P13nError;
    }
    if (typeof body != 'string') return fail(body, id);
    const size = bytesOf(body);
    if (size > MAX_EVENT_BYTES) {
      return fail({ code: 'too_large', message: `p13n: the event is ${size} bytes of JSON; at most ${MAX_EVENT_BYTES} fit one request` }, id);
    }
    // built when called, sent when allowed: a held event keeps its time and the page it happened on
    const turn = line;
    let out!: () => void;
    line = new Promise<void>((resolve) => (out = resolve));
    const decision = await allowed();
    await turn;
    if (decision != 'granted') {
      out();
      return fail(
        decision == 'dropped'
          ? { code: 'dropped', message: `p13n: more than ${MAX_HELD} calls waited for consent: the oldest was dropped` }
          : { code: 'consent', message: 'p13n: consent is denied: nothing is sent' },
        id,
      );
    }
    if (log) log('\u2192 POST', settings.url, mask(JSON.stringify(settings.headers)), JSON.parse(body));
    const sending = track ? deliveries().send(id, body, out) : post({ url: settings.url, headers: settings.headers, credentials: settings.credentials, body, timeout: settings.timeout, log });
    // fetch was called (a track: stored, and sent or waiting its turn): the next call may go
    if (!track) out();
    const reply = await sending.finally(out);
    const latest = !page || page.current == views;
    if (!track && latest) {
      shown = views;
      prehide.reveal();
    }
    if (!reply.ok) return fail(reply.error, id);
    const { status, offers } = reply;
    if (track) return { ok: true, status, offers: {}, uuid: id };
    if (page && cache) cache.put(page.path, { offers, status, uuid: id });
    // an answer to a page view that a newer one has overtaken would show the wrong page's offers
    if (latest) {
      // slots first, so handlers of p13n:offers see the page as rendered
      try {
        render(offers);
      } catch {} // a page's odd DOM must not cost it the offers
    }
    events.emit('offers', { offers, names: Object.keys(offers), uuid: id, status });
    return { ok: true, status, offers, uuid: id };
  }

  const subscribe = (add: boolean) => <E extends EventName>(type: E, handler: Handler<E>): Promise<Outcome> =>
    resolved(
      (add ? events.on : events.off)(type, handler)
        ? { ok: true }
        : refuse(usage(`${add ? 'on' : 'off'} takes 'offers', 'error' or 'ready' and a function`)),
    );
  /** Runs `change` once init has succeeded; the outcome of a failed init otherwise. */
  const after = (change: () => Outcome) => started.then((outcome) => (outcome.ok ? change() : outcome));

  const client: Client = {
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
    consent: (decision) =>
      decision !== 'granted' && decision !== 'denied'
        ? resolved(refuse(usage(`consent takes 'granted' or 'denied', not ${reason(decision)}`)))
        : after(() => {
            if (gpc && decision == 'granted') {
              return refuse(usage('the browser sends Global Privacy Control and respectGPC is on: consent stays denied'));
            }
            decide(decision);
            return { ok: true };
          }),
    spa: (on) =>
      typeof on != 'boolean'
        ? resolved(refuse(usage('spa takes true or false')))
        : after(() => (spa(on), { ok: true })),
    on: subscribe(true),
    off: subscribe(false),
    clientId: () => started.then((outcome) => (outcome.ok && consent == 'granted' ? identity.get() : undefined)),
    reset: () =>
      after(() => {
        identity.reset(consent == 'granted');
        if (cache) cache.clear();
        attributes = {};
        return { ok: true };
      }),
  };
  // the last line of "no call throws, no promise rejects": whatever hostile input gets past the checks above (a
  // revoked Proxy, a getter that throws) becomes a usage error
  const safe = {} as Record<string, unknown>;
  Object.keys(client).forEach((name) => {
    const method = client[name as keyof Client] as (...args: unknown[]) => Promise<unknown>;
    const broken = (error: unknown) => refuse(usage(`${name} failed on what it was given: ${reason(error)}`));
    safe[name] = (...args: unknown[]) => {
      try {
        return method(...args).catch(broken);
      } catch (error) {
        return resolved(broken(error));
      }
    };
  });
  return safe as unknown as Client;
}
