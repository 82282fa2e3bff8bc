import { isObject, isString, resolved, type Settings } from './config';
import { toJSON } from './payload';
import { MAX_HELD, type ConsentState } from './consent';
import { pageContext } from './context';
import { problem } from './errors';
import { buildEvent } from './event';
import type { Hub } from './hub';
import type { Identity } from './identity';
import type { Prehide } from './prehide';
import { createPresenter } from './present';
import type { Tracker } from './track';
import { post, type Answer } from './transport';
import { fraction } from './group';
import { load } from './load';
import type { Modules } from '../seam';
import type { Early } from '../snippets/early-view';
import type { Attributes, Offers, P13nError, Result } from '../types';

// masks the 40-hex key and the 32-hex token secret in anything logged
const mask = (text: string) => text.replace(/[0-9a-f]{32,}/gi, '****');

/**
 * The page view the early snippet sent, as the core takes it over: the fields of its body the core reads, the body
 * as sent (`_body`), the visitor id it carried (`_id`) and its answer (`_answer`).
 */
export type Taken = { uuid: string; td_path: string; td_url: string; _body: string; _id: string; _answer: Promise<Answer> };

/**
 * The page view the early snippet sent for this client's config, made safe to use: its answer awaited safely
 * whatever a page may have put there. Undefined when there is none to take over.
 */
export function takeOver(early?: Early): Taken | undefined {
  try {
    if (!early || !isString(early.b) || !isString(early.i)) return;
    const taken: Taken = JSON.parse(early.b);
    taken._body = early.b;
    taken._id = early.i;
    taken._answer = resolved(early.r).then((reply) => (Array.isArray(reply) ? reply : 0), () => 0 as const);
    return taken;
  } catch {
    return; // not the snippet's: no page view to take over
  }
}

/** A page view waiting for its answer: only the latest one's renders. */
type View = { current: number; path: string; referrer?: string };

/**
 * The life of a page view, and of every `personalize` and `track`: built when called (the page and time it
 * happened on), held while consent is pending and until the calls made before it are on their way, sent (the
 * early snippet's page view taken over rather than sent again), answered, and, when it is still the latest page
 * view, rendered and cached; `p13n:offers` last, so its handlers see the page as rendered.
 */
export function createPageViews(
  settings: Settings,
  hub: Hub,
  identity: Identity,
  consent: ConsentState,
  prehide: Prehide,
  tracker: Tracker,
  log?: (...data: unknown[]) => void,
  taken?: Taken,
) {
  const presenter = createPresenter(settings, prehide, hub._report);
  const { _events: events, _report: report } = hub;
  // settles once the last call's request is on its way: calls reach fetch in the order they were made, so a
  // track (stored first) is sent before a personalize made after it
  let line: Promise<unknown> = resolved(0);
  let measuring: Promise<ReturnType<Modules['measure']> | void> | undefined; // the measure module loading, or in
  let caching: Promise<ReturnType<Modules['cache']> | void> | undefined; // the cache module loading, or in
  let views = 0; // page views started
  let shown = 0; // the latest page view whose answer is in
  let fresh = 0; // the latest page view whose answer's offers are on the page
  const latest = () => shown == views;

  const fail = (error: P13nError, id?: string): Result => {
    report(error, id);
    return { ok: false, error, offers: {}, uuid: id };
  };

  /**
   * A page view: the offers cached for its path, if any, rendered at once, and its request. A route's view is
   * built as it settles and sent once the route has its title (`titled`), with that title.
   */
  function view(referrer?: string, titled?: Promise<unknown>) {
    const current = ++views;
    // the early snippet's page view is of the page it saw, though an app may have moved since
    const path = taken ? taken.td_path : location.pathname;
    if (consent.get() == 'granted')
      cache((stored) => {
        const cached = stored.get(path);
        // shown as soon as the cache module is in, unless the fresh offers came first (a failed answer leaves it), or
        // a newer page view began
        if (cached && fresh < current && current == views) {
          shown = current;
          given(cached.offers, cached.uuid, true).then(([offers, holdout]) => {
            presenter._present(offers, true, latest, true);
            emit(offers, cached.uuid, cached.status, holdout, true);
          });
        }
      });
    const page = { current, path, referrer };
    if (!titled) return request(undefined, false, page);
    const context = pageContext();
    return titled.then(() => request(undefined, false, page, ((context.td_title = document.title), context)));
  }

  /** One request, once consent allows it and the calls made before it are on their way. */
  async function request(extra?: Attributes, track?: boolean, page?: View, context: Record<string, string> = pageContext(), time = Date.now()): Promise<Result> {
    if (extra != null && !isObject(extra)) return fail(problem('invalid_event', (track ? 'track' : 'personalize') + ': attributes are not an object'));
    // the first page view, when the early snippet sent it: its very body, and its answer
    const early = page && taken;
    if (early) taken = undefined;
    const visitor = identity.get();
    // the layers of the event, later ones winning; with a holdout the visitor's group, which no attribute overrides
    const layers = (id: string) => [
      page && page.referrer != null ? { td_referrer: page.referrer } : null,
      settings.attributes,
      hub._attributes(),
      track && settings.measure ? exposures() : null,
      extra,
      settings.holdout ? { p13n_group: fraction(id) < settings.holdout ? 'holdout' : 'treated' } : null,
    ];
    let [id, body] = early ? [early.uuid, early._body] : buildEvent(visitor, context, time, layers(visitor));
    if (!isString(body)) return fail(body, id);
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
    // held for consent while td-js-sdk named the visitor in the cookie: the event goes with the id the cookie has now
    const now = identity.get();
    const named = early || now == visitor ? body : buildEvent(now, context, time, layers(now).concat({ uuid: id }))[1];
    if (isString(named)) body = named;
    if (log) log('\u2192 POST', settings.url, mask(JSON.stringify(settings.headers)), JSON.parse(body));
    // the settings as the request: their url, headers, credentials and timeout (no config key is another request option)
    const sending = track ? tracker._send(id, body, out) : post({ ...settings, body, log }, early ? early._answer : undefined);
    // fetch was called (a track: stored, and sent or waiting its turn): the next call may go
    if (!track) out();
    const reply = await sending.finally(out);
    // a visitor who said no while it was out gets nothing personal from it: nothing shown, nothing cached
    const allowed = consent.get() != 'denied';
    let [offers, holdout]: [Offers, true?] = [reply.ok ? reply.offers : {}];
    if (reply.ok && allowed && !track) [offers, holdout] = await given(offers, id, !!page);
    // an answer to a page view that a newer one has overtaken would show the wrong page's offers
    if (!track && (!page || page.current == views)) {
      shown = views;
      // slots first, so handlers of p13n:offers see the page as rendered
      if (reply.ok && allowed) {
        fresh = views;
        presenter._present(offers, !!page, latest);
      } else prehide._reveal();
    }
    if (!reply.ok) return fail(reply.error, id);
    const { status } = reply;
    if (track) return { ok: true, status, offers: {}, uuid: id };
    if (page && allowed) cache((stored) => stored.put(page.path, { offers: reply.offers, status, uuid: id }));
    emit(offers, id, status, holdout);
    return { ok: true, status, offers, uuid: id, holdout };
  }

  /** `p13n:offers`, and the config's and the handlers' callbacks (`cached`, `holdout`: undefined unless so). */
  const emit = (offers: Offers, uuid: string, status: number, holdout?: true, cached?: true) =>
    events._emit('offers', { offers, names: Object.keys(offers), uuid, status, cached, holdout });

  /**
   * What the page is given of an answer's `offers` (the request's `uuid`, a page view's when `view`), with `true`
   * when a holdout withheld offers: what the measure module leaves (nothing in the control group, whose places keep
   * what they show by default; an offer's own holdout and its frequency cap taken out). The module, loaded by the
   * first answer when measuring or holding out, watches what is shown from then on. Should it not load, the page is
   * given the answer as it is (the `module` error says so).
   */
  async function given(offers: Offers, uuid: string, view: boolean): Promise<[Offers, true?]> {
    if (!settings.measure && !settings.holdout) return [offers];
    measuring =
      measuring ||
      load('measure', settings.nonce).then(
        (create) => create({ request, clientId: identity.get, fraction }, settings),
        (why) => report(problem('module', why)),
      );
    const module = await measuring;
    return module ? module.answer(offers, uuid, view) : [offers];
  }

  /** Runs `then` with the offer cache once its module is in, when the config asks for one (`cache: { ttl }`). */
  function cache(then: (stored: ReturnType<Modules['cache']>) => unknown) {
    if (!settings.cache) return;
    caching =
      caching ||
      load('cache', settings.nonce).then(
        (create) => create(settings, { toJSON }),
        (why) => report(problem('module', why)),
      );
    caching.then((stored) => stored && then(stored));
  }

  /** The offers this visitor saw within `attribution` days, most recent first, as the measure module keeps them. */
  function exposures() {
    let names;
    try {
      names = JSON.parse(localStorage['p13n:seen:' + settings.url]).filter((seen: [string, number]) => seen[1] > Date.now()).map((seen: [string]) => seen[0]);
    } catch {} // none kept, or storage refused
    return names && names[0] ? { p13n_exposures: names } : null;
  }

  return {
    _view: view,
    _request: request,
    _fail: fail,
    /** Whether every page view begun has its answer in: nothing is hidden waiting for one. */
    _latest: latest,
    /** Whether a page view has begun on this page. */
    _begun: () => views > 0,
    /** Consent refused (`denied`), or a new visitor (a reset): nothing personal of the last one stays. */
    _forget(denied?: boolean) {
      cache((stored) => stored.clear());
      if (denied) presenter._clear();
      if (denied && measuring) measuring.then((module) => module && module.clear());
    },
  };
}
