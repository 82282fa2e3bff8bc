import { isObject, own, readConfig, reason, type Settings } from './config';
import { createConsent, gpcRefuses, MAX_HELD } from './consent';
import { pageContext, VERSION } from './context';
import type { Early } from './early';
import { problem, usage } from './errors';
import { buildEvent } from './event';
import { createHub, type Hub } from './hub';
import { createIdentity } from './identity';
import { load } from './load';
import { createCache } from './cache';
import { createPrehide } from './prehide';
import { createRenderer } from './render';
import { MESSAGE_KEY, type Modules } from './seam';
import { createTracker } from './track';
import { toJSON } from './payload';
import { post } from './transport';
import type { Attributes, Client, Consent, Offers, Outcome, P13nError, Result } from './types';

export { VERSION };
export { MAX_EVENT_BYTES } from './event';
export { MAX_HELD };

const resolved = <T>(value: T) => Promise.resolve(value);
// masks the 40-hex key and the 32-hex token secret in anything logged
const mask = (text: string) => text.replace(/[0-9a-f]{32,}/gi, '****');

/** A page view that has not been answered yet: only the latest one's answer renders. */
type View = { current: number; path: string; referrer?: string };

/**
 * A personalization client for one database/table. Nothing is sent until the config is checked; the checks,
 * `p13n:ready` and the first page view run a microtask later, so handlers added right after this returns
 * see them.
 */
export const createClient = (config: unknown): Client => openClient(config, createHub())[0];

/**
 * A client sharing `hub` (the handlers and attributes of the page's commands), and whether its config passed the
 * checks: known at once, for the global `p13n` to decide between inits. `early` is the first page view the early
 * snippet sent for this very config: the client takes it over rather than send its own.
 */
export function openClient(config: unknown, hub: Hub, early?: Early): [Client, boolean] {
  const checked = readConfig(config);
  const valid = !('code' in checked);
  // used only once `valid` says the config passed
  const settings = checked as Settings;
  const { events, report } = hub;
  // the page view the early snippet sent: its body as sent, the visitor id it used (the one the cookie gets), and
  // its answer, awaited safely whatever a page may have put there
  let sent: { uuid: string; td_path: string; td_url: string } | undefined;
  try {
    if (early && typeof early.b == 'string' && typeof early.i == 'string') sent = JSON.parse(early.b);
  } catch {} // not the snippet's: no page view to take over
  const answer = sent && Promise.resolve(early!.r).then((reply) => (Array.isArray(reply) ? reply : 0), () => 0 as const);
  const identity = createIdentity(valid ? (sent ? { ...settings, clientId: early!.i } : settings) : { cookie: false });
  const prehide = createPrehide(valid ? settings.prehide : undefined, valid ? settings.prehideTimeout : 0, settings.nonce);
  const renderer = createRenderer();
  const cache = settings.cache ? createCache('p13n:cache:' + settings.url, settings.cache.ttl) : undefined;
  const log = settings.debug ? (...data: unknown[]) => console.log('p13n', ...data) : undefined;
  const tracker = createTracker(settings, report, log);
  const gpc = valid && gpcRefuses(settings);
  const consent = createConsent(gpc ? 'denied' : settings.consent);
  // settles once the last call's request is on its way: calls reach fetch in the order they were made, so a
  // track (stored first) is sent before a personalize made after it
  let line: Promise<unknown> = resolved(0);
  let views = 0; // page views started: only the latest one's answer renders
  let shown = 0; // the latest page view whose answer is in
  let routes: Promise<unknown> | undefined; // the spa module loading, or in
  let watch: ReturnType<Modules['spa']> | undefined; // route changes on or off, once it is in
  let routing = false; // the latest spa(on)
  let messages: Promise<ReturnType<Modules['messages']> | void> | undefined; // the messages module loading, or in
  // routes are watched from the page the first page view was of: a route an app took before the core came counts
  const firstUrl = sent && sent.td_url;

  if (own(config, 'debug') === true) {
    load('debug', settings.nonce).then((explain) => {
      hub.explain = explain;
      if (!valid) explain(checked as P13nError);
    }, () => {}); // without it, the short messages stand
  }
  // hidden from the moment the tag runs; an invalid config shows at once what the snippet hid
  prehide.hide();
  if (!valid) prehide.reveal();

  const fail = (error: P13nError, id?: string): Result => {
    report(error, id);
    return { ok: false, error, offers: {}, uuid: id };
  };

  /** Consent decided: sends or drops what was held, in call order, and keeps no trace of a visitor who said no. */
  function decide(decision: Consent) {
    const was = consent.set(decision);
    if (decision == 'granted') {
      identity.save();
      tracker.resume();
      // the page view held (or refused) until now is on its way: hide what its answer fills, so no default flashes
      if (views > shown) prehide.hide();
      // a visitor who said no, then yes: this page's view was refused, so it goes now
      if (was == 'denied' && views) view();
    } else if (decision == 'denied') {
      identity.forget();
      tracker.clear();
      if (cache) cache.clear();
      renderer.clear();
      if (messages) messages.then((module) => module && module.clear());
      prehide.reveal();
    }
  }

  const started: Promise<Outcome> = resolved(0).then(() => {
    if (!valid) {
      console.error((checked as P13nError).message);
      return hub.refuse(checked as P13nError);
    }
    hub.callbacks.onOffers = settings.onOffers;
    hub.callbacks.onError = settings.onError;
    decide(consent.get());
    events.emit('ready', { clientId: consent.get() == 'granted' ? identity.get() : undefined });
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
    const context = pageContext();
    const time = Date.now();
    return started.then((outcome) => (outcome.ok ? deliver(extra, track, undefined, context, time) : fail(outcome.error!)));
  };

  /**
   * A page view: the page context, and the offers cached for this path, if any, rendered at once. A route's
   * view is built as it settles and sent once the route has its title (`titled`), with that title.
   */
  function view(referrer?: string, titled?: Promise<unknown>) {
    const current = ++views;
    // the early snippet's page view is of the page it saw, though an app may have moved since
    const path = sent ? sent.td_path : location.pathname;
    const cached = cache && consent.get() == 'granted' && cache.get(path);
    if (cached) {
      shown = current;
      present(cached.offers, true, true);
      events.emit('offers', { offers: cached.offers, names: Object.keys(cached.offers), uuid: cached.uuid, status: cached.status, cached: true });
    }
    const page = { current, path, referrer };
    if (!titled) return deliver(undefined, false, page);
    const context = pageContext();
    return titled.then(() => deliver(undefined, false, page, ((context.td_title = document.title), context)));
  }

  /**
   * Route-change page views on or off; the module that watches routes loads the first time they are on. Settles
   * once they are watched (or the module failed to load, an error event).
   */
  function spa(on: boolean): Promise<unknown> {
    routing = on;
    // a route change hides again what the last route's answer showed, until this route's answer is in; a route
    // left and come back to at once shows it again
    const move = (moving: boolean) => (moving ? consent.get() != 'denied' && prehide.hide() : views == shown && prehide.reveal());
    const from = firstUrl || location.href.split('#')[0];
    routes =
      routes ||
      load('spa', settings.nonce).then(
        (watchRoutes) => (watch = watchRoutes(view, move, from))(routing),
        (why) => report(problem('module', why)),
      );
    if (watch) watch(on);
    return routes;
  }

  /**
   * Puts `offers` on the page: the slots, then the messages; what pre-hiding hid shows once both are in (the
   * messages' targets stay hidden until they are filled, `prehideTimeout` still bounding it), unless a newer page
   * view has hidden it again meanwhile.
   */
  function present(offers: Offers, isView: boolean, cached?: boolean) {
    try {
      renderer.render(offers, cached);
    } catch {} // a page's odd DOM must not cost it the offers
    const showing = showMessages(offers, isView);
    if (showing) showing.then(() => shown == views && prehide.reveal());
    else prehide.reveal();
  }

  /**
   * TD's in-browser content of `offers` (a page view's when `isView`), shown by the messages module, which the first
   * answer carrying a message loads; every answer goes to it from then on, so a route without the message restores
   * what it replaced. Settles once shown; undefined when there is nothing to show.
   */
  function showMessages(offers: Offers, isView: boolean) {
    // written by the tag's own JSON writer, which no Array.prototype.toJSON of the page's bends or breaks; a value
    // that merely mentions the key loads the module for nothing, harmlessly: this check is every page's to pay
    if (settings.messages === false || !(messages || ('' + toJSON(offers)).indexOf(MESSAGE_KEY) >= 0)) return;
    messages =
      messages ||
      load('messages', settings.nonce).then(
        (create) => create({ watch: renderer.watch, purify: (hash) => load('purify', settings.nonce, hash), report }),
        // as with spa, tried again by the next page
        (why) => report(problem('module', why)),
      );
    return messages.then((module) => module && module.show(offers, isView));
  }

  /** One request, once consent allows it and the calls made before it are on their way. */
  async function deliver(extra?: Attributes, track?: boolean, page?: View, context = pageContext(), time = Date.now()): Promise<Result> {
    if (extra != null && !isObject(extra)) return fail(problem('invalid_event', (track ? 'track' : 'personalize') + ': attributes are not an object'));
    // the first page view, when the early snippet sent it: its very body, and its answer
    const taken = page && sent;
    if (taken) sent = undefined;
    const [id, body] = taken
      ? [taken.uuid, early!.b]
      : buildEvent(identity.get(), context, time, [page && page.referrer != null ? { td_referrer: page.referrer } : null, settings.attributes, hub.attributes(), extra]);
    if (typeof body != 'string') return fail(body, id);
    // built when called, sent when allowed: a held event keeps its time and the page it happened on
    const turn = line;
    let out!: () => void;
    line = new Promise<void>((resolve) => (out = resolve));
    const decision = await consent.allowed();
    await turn;
    if (decision != 'granted') {
      out();
      return fail(decision == 'dropped' ? problem('dropped', `more than ${MAX_HELD} calls waited for consent`) : problem('consent', 'consent is denied'), id);
    }
    if (log) log('\u2192 POST', settings.url, mask(JSON.stringify(settings.headers)), JSON.parse(body));
    const sending = track
      ? tracker.send(id, body, out)
      : post({ url: settings.url, headers: settings.headers, credentials: settings.credentials, body, timeout: settings.timeout, log }, taken ? answer : undefined);
    // fetch was called (a track: stored, and sent or waiting its turn): the next call may go
    if (!track) out();
    const reply = await sending.finally(out);
    // a visitor who said no while it was out gets nothing personal from it: nothing shown, nothing cached
    const allowed = consent.get() != 'denied';
    // an answer to a page view that a newer one has overtaken would show the wrong page's offers
    if (!track && (!page || page.current == views)) {
      shown = views;
      // slots first, so handlers of p13n:offers see the page as rendered
      if (reply.ok && allowed) present(reply.offers, !!page);
      else prehide.reveal();
    }
    if (!reply.ok) return fail(reply.error, id);
    const { status, offers } = reply;
    if (track) return { ok: true, status, offers: {}, uuid: id };
    if (page && cache && allowed) cache.put(page.path, { offers, status, uuid: id });
    events.emit('offers', { offers, names: Object.keys(offers), uuid: id, status });
    return { ok: true, status, offers, uuid: id };
  }

  /** Runs `change` once init has succeeded; the outcome of a failed init otherwise. */
  const after = (change: () => Outcome) => started.then((outcome) => (outcome.ok ? change() : outcome));
  const client: Client = {
    init: () => started,
    personalize: (extra) => send(extra),
    track: (extra) => send(extra, true),
    set: (update) => resolved(hub.set(update)),
    consent: (decision) =>
      decision !== 'granted' && decision !== 'denied'
        ? resolved(hub.refuse(usage('consent', 'takes granted or denied, not ' + reason(decision))))
        : after(() => {
            // Global Privacy Control, when the site honours it, keeps consent denied
            if (gpc && decision == 'granted') return hub.refuse(usage('consent', 'Global Privacy Control keeps it denied'));
            decide(decision);
            return { ok: true };
          }),
    spa: (on) => (typeof on != 'boolean' ? resolved(hub.refuse(usage('spa'))) : started.then((outcome) => (outcome.ok ? spa(on).then(() => ({ ok: true })) : outcome))),
    on: (type, handler) => resolved(hub.on(type, handler)),
    off: (type, handler) => resolved(hub.off(type, handler)),
    clientId: () => started.then((outcome) => (outcome.ok && consent.get() == 'granted' ? identity.get() : undefined)),
    reset: () =>
      after(() => {
        identity.reset(consent.get() == 'granted');
        if (cache) cache.clear();
        hub.clear();
        return { ok: true };
      }),
  };
  return [guard(client, hub.refuse), valid];
}

/**
 * The last line of "no call throws, no promise rejects": whatever hostile input gets past the checks (a revoked
 * Proxy, a getter that throws) becomes a usage error naming the command.
 */
function guard(client: Client, refuse: (error: P13nError) => Outcome): Client {
  const safe = {} as Record<string, unknown>;
  Object.keys(client).forEach((name) => {
    const method = client[name as keyof Client] as (...args: unknown[]) => Promise<unknown>;
    const broken = (error: unknown) => refuse(usage(name, 'failed: ' + reason(error)));
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
