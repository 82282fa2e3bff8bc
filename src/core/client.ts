import { own, readConfig, reason, resolved, type Settings } from './config';
import { createConsent, gpcRefuses, MAX_HELD } from './consent';
import { pageContext, VERSION } from './context';
import { problem, usage } from './errors';
import { createHub, type Hub } from './hub';
import { createIdentity } from './identity';
import { load } from './load';
import { createPageViews, takeOver } from './pageview';
import { createPrehide } from './prehide';
import { createTracker } from './track';
import type { Modules } from '../seam';
import type { Early } from '../snippets/early-view';
import type { Attributes, Client, Consent, Outcome, P13nError } from '../types';

export { VERSION };
export { MAX_EVENT_BYTES } from './event';
export { MAX_HELD };

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
  const taken = takeOver(early);
  // the early snippet's visitor id is the one its page view carried (and the cookie got)
  const identity = createIdentity(valid ? settings : { cookie: false }, taken && taken._id);
  const prehide = createPrehide(valid ? settings.prehide : undefined, valid ? settings.prehideTimeout : 0, settings.nonce);
  const log = settings.debug ? (...data: unknown[]) => console.log('p13n', ...data) : undefined;
  const tracker = createTracker(settings, hub._report, log);
  const gpc = valid && gpcRefuses(settings);
  // 'tcf' (a CMP to read) counts as pending until the tcf module hears it (createConsent)
  const consent = createConsent(gpc ? 'denied' : settings.consent);
  const pageviews = createPageViews(settings, hub, identity, consent, prehide, tracker, log, taken);
  let routes: Promise<unknown> | undefined; // the spa module loading, or in
  let watch: ReturnType<Modules['spa']> | undefined; // route changes on or off, once it is in
  let routing = false; // the latest spa(on)
  // routes are watched from the page the first page view was of: a route an app took before the core came counts
  const firstUrl = taken && taken.td_url;

  if (own(config, 'debug') === true) {
    load('debug', settings.nonce).then((explain) => {
      hub._callbacks.explain = explain;
      if (!valid) explain(checked as P13nError);
    }, () => {}); // without it, the short messages stand
  }
  // hidden from the moment the tag runs; an invalid config shows at once what the snippet hid
  prehide._hide();
  if (!valid) prehide._reveal();

  /** Consent decided: sends or drops what was held, in call order, and keeps no trace of a visitor who said no. */
  function decide(decision: Consent) {
    const was = consent.set(decision);
    if (decision == 'granted') {
      identity._save();
      tracker._resume();
      // the page view held (or refused) until now is on its way: hide what its answer fills, so no default flashes
      if (!pageviews._latest()) prehide._hide();
      // a visitor who said no, then yes: this page's view was refused, so it goes now
      if (was == 'denied' && pageviews._begun()) pageviews._view();
    } else if (decision == 'denied') {
      identity._forget();
      tracker._clear();
      pageviews._forget(true);
      prehide._reveal();
    }
  }

  const started: Promise<Outcome> = resolved(0).then(() => {
    if (!valid) {
      console.error((checked as P13nError).message);
      return hub._refuse(checked as P13nError);
    }
    hub._callbacks.onOffers = settings.onOffers;
    hub._callbacks.onError = settings.onError;
    decide(consent.get() as Consent);
    // not with Global Privacy Control honoured: consent is denied then, whatever a CMP says
    if (consent.get() == 'tcf')
      load('tcf', settings.nonce).then(
        (read) => read(settings.tcf, decide, hub._report),
        (why) => (hub._report(problem('module', why)), decide('denied')),
      );
    hub._events._emit('ready', { clientId: consent.get() == 'granted' ? identity.get() : undefined });
    return { ok: true };
  });
  // registered first, so the page view goes out before calls made right after createClient
  started.then((outcome) => {
    if (!outcome.ok) return;
    if (settings.pageview) pageviews._view();
    if (settings.spa) spa(true);
  });
  const send = (extra?: Attributes, track?: boolean) => {
    // the page as it is now: a single-page app often changes route right after a call
    const context = pageContext();
    const time = Date.now();
    return started.then((outcome) => (outcome.ok ? pageviews._request(extra, track, undefined, context, time) : pageviews._fail(outcome.error!)));
  };

  /**
   * Route-change page views on or off; the module that watches routes loads the first time they are on. Settles
   * once they are watched (or the module failed to load, an error event).
   */
  function spa(on: boolean): Promise<unknown> {
    routing = on;
    // a route change hides again what the last route's answer showed, until this route's answer is in; a route
    // left and come back to at once shows it again
    const move = (moving: boolean) => (moving ? consent.get() != 'denied' && prehide._hide() : pageviews._latest() && prehide._reveal());
    const from = firstUrl || location.href.split('#')[0];
    routes =
      routes ||
      load('spa', settings.nonce).then(
        (watchRoutes) => (watch = watchRoutes(pageviews._view, move, from))(routing),
        (why) => hub._report(problem('module', why)),
      );
    if (watch) watch(on);
    return routes;
  }

  /** Runs `change` once init has succeeded; the outcome of a failed init otherwise. */
  const after = (change: () => Outcome | Promise<Outcome>) => started.then((outcome) => (outcome.ok ? change() : outcome));
  const client: Client = {
    init: () => started,
    personalize: (extra) => send(extra),
    track: (extra) => send(extra, true),
    set: (update) => resolved(hub.set(update)),
    consent: (decision) =>
      decision !== 'granted' && decision !== 'denied'
        ? resolved(hub._refuse(usage('consent', 'takes granted or denied, not ' + reason(decision))))
        : after(() => {
            // Global Privacy Control, when the site honours it, keeps consent denied
            if (gpc && decision == 'granted') return hub._refuse(usage('consent', 'Global Privacy Control keeps it denied'));
            decide(decision);
            return { ok: true };
          }),
    spa: (on) => (typeof on != 'boolean' ? resolved(hub._refuse(usage('spa'))) : after(() => spa(on).then(() => ({ ok: true })))),
    on: (type, handler) => resolved(hub.on(type, handler)),
    off: (type, handler) => resolved(hub.off(type, handler)),
    clientId: () => started.then((outcome) => (outcome.ok && consent.get() == 'granted' ? identity.get() : undefined)),
    reset: () =>
      after(() => {
        identity._reset(consent.get() == 'granted');
        pageviews._forget();
        hub._clear();
        return { ok: true };
      }),
  };
  return [guard(client, hub._refuse), valid];
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
