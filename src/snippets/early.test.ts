import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { blockCookies, clearCookies, cookies, realCookies, recordCookieWrites } from '../core/cookies.testing';
import { sendEarly, type Early } from './early-view';
import { readCookie } from '../core/cookie';
import type { P13n } from '../types';

const KEY = '1/' + 'a'.repeat(40);
const TOKEN = '1/2/' + 'b'.repeat(32);
const CONFIG = { database: 'shop_db', table: 'pageviews', apiKey: KEY, token: TOKEN };
const URL_ = 'https://us01.p13n.in.treasuredata.com/public/shop_db/pageviews';
const OFFERS = { hero: { attributes: { headline: 'Hi' } } };

type Call = { url: string; init: RequestInit; body: Record<string, any> };
type Stub = ((...args: unknown[]) => void) & { q?: IArguments[]; e?: Early };
const win = window as unknown as { p13n?: unknown };
let calls: Call[];
/** What the fake API answers each call, in turn; the last one for every call after. */
let answers: (() => Response | Promise<Response>)[];

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const settle = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

beforeEach(() => {
  localStorage.clear();
  clearCookies();
  delete win.p13n;
  calls = [];
  answers = [() => json(200, { offers: OFFERS })];
  vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) => {
    calls.push({ url, init, body: JSON.parse(init.body as string) });
    return (answers.length > 1 ? answers.shift()! : answers[0])();
  }));
});
afterEach(() => {
  realCookies();
  delete win.p13n;
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

/** The early snippet's source, run as the page's inline script runs it. */
async function pasteSnippet() {
  vi.resetModules();
  await import('./early');
  return win.p13n as Stub;
}
/** The core's entry, run as its script does when it arrives. */
async function loadCore() {
  vi.resetModules();
  await import('../core/queue');
  return win.p13n as P13n;
}
/** The request the core sends by itself for `config`, with the cookie as it is: what the snippet must match. */
async function coreRequest(config: object) {
  const before = calls.length;
  const { createClient } = await import('../core/client');
  await createClient(config).init();
  await settle();
  const call = calls[before];
  calls.length = before;
  return call;
}
const without = ({ uuid, time, ...rest }: Record<string, unknown>) => rest;

describe('sendEarly', () => {
  it('sends the very URL, headers, credentials and body the core would', async () => {
    document.cookie = '_td=a5f0e7e2-0000-4000-8000-000000000001; path=/';
    const config = { ...CONFIG, attributes: { segment: 'vip', nested: { list: [1, 'two', null] } } };
    const early = sendEarly(config)!;
    expect(early).toBeDefined();
    expect(calls).toHaveLength(1);
    const [sent] = calls;
    const core = await coreRequest(config);
    expect(sent.url).toBe(URL_);
    expect(sent.url).toBe(core.url);
    expect(sent.init.headers).toEqual(core.init.headers);
    expect(sent.init).toMatchObject({ method: 'POST', mode: 'cors', credentials: 'omit', keepalive: false });
    expect(sent.init).toMatchObject({ keepalive: core.init.keepalive });
    expect(without(sent.body)).toEqual(without(core.body));
    expect(sent.body).toMatchObject({ td_client_id: 'a5f0e7e2-0000-4000-8000-000000000001', segment: 'vip' });
    expect(sent.body.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(early.c).toBe(config);
    expect(JSON.parse(early.b)).toEqual(sent.body);
    // its answer, as the core reads it
    await expect(early.r).resolves.toEqual([200, JSON.stringify({ offers: OFFERS }), null]);
  });

  it('makes a new visitor an id and writes it to the cookie at once, on the registrable domain, for td-js-sdk to find', () => {
    const writes = recordCookieWrites();
    sendEarly(CONFIG);
    const id = calls[0].body.td_client_id;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4/);
    expect(cookies()).toEqual({ _td: id });
    const write = writes.filter((text) => text.startsWith('_td=')).pop()!;
    expect(write).toMatch(new RegExp(`^_td=${id}; path=/; SameSite=Lax; expires=[^;]+; domain=shop\\.test$`));
    const expires = Date.parse(/expires=([^;]+)/.exec(write)![1]);
    expect(Math.abs(expires - (Date.now() + 730 * 864e5))).toBeLessThan(864e5);
    // the domain is remembered, as the core remembers it: the core's own write on this page is one write
    expect(localStorage.getItem('p13n:domain')).toBe('shop.test');
  });

  it("writes nothing for a returning visitor (the core refreshes the cookie, with consent), nor when it sends nothing", async () => {
    document.cookie = '_td=a5f0e7e2-0000-4000-8000-000000000001; path=/';
    const writes = recordCookieWrites();
    sendEarly(CONFIG);
    expect(calls[0].body.td_client_id).toBe('a5f0e7e2-0000-4000-8000-000000000001');
    clearCookies();
    writes.length = 0;
    for (const config of [{ ...CONFIG, consent: 'pending' }, { ...CONFIG, pageview: false }, { ...CONFIG, cookie: false }]) sendEarly(config);
    expect(writes).toEqual([]);
    expect(calls).toHaveLength(2); // the returning visitor's, and cookie: false's
  });

  it('sends all the same where document.cookie throws', () => {
    blockCookies();
    expect(sendEarly(CONFIG)).toBeDefined();
    expect(calls[0].body.td_client_id).toMatch(/^[0-9a-f]{8}-/);
  });

  it("leaves a holdout's page view to the core: its group is the core's to draw", () => {
    expect(sendEarly({ ...CONFIG, holdout: 0.1, measure: true })).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('uses clientId and a page uuid as the core does', () => {
    sendEarly({ ...CONFIG, clientId: 'crm-42', attributes: { uuid: 'order-7' } });
    expect(calls[0].body).toMatchObject({ td_client_id: 'crm-42', uuid: 'order-7' });
  });

  it.each([
    ['not an object', 'nope'],
    ['a bad table', { ...CONFIG, table: 'No-Such' }],
    ['no token', { ...CONFIG, token: undefined }],
    ['a bad key elsewhere (timeout)', { ...CONFIG, timeout: 'soon' }],
    ['an http endpoint', { ...CONFIG, endpoint: 'ftp://api.example' }],
    ['pageview off', { ...CONFIG, pageview: false }],
    ['consent pending', { ...CONFIG, consent: 'pending' }],
    ['consent denied', { ...CONFIG, consent: 'denied' }],
    ['attributes that cannot be sent', { ...CONFIG, attributes: { big: 'x'.repeat(70 * 1024) } }],
  ])('sends nothing for %s', (_what, config) => {
    expect(sendEarly(config)).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('sends nothing under Global Privacy Control when the site honours it', () => {
    Object.defineProperty(navigator, 'globalPrivacyControl', { value: true, configurable: true });
    try {
      expect(sendEarly({ ...CONFIG, respectGPC: true })).toBeUndefined();
      expect(sendEarly(CONFIG)).toBeDefined();
      expect(calls).toHaveLength(1);
    } finally {
      delete (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl;
    }
  });

  it('warns of nothing: the core gives the config warnings, once', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    sendEarly({ ...CONFIG, unknownKey: 1 });
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });

  it('sends no keepalive a polluted Object.prototype asks for', () => {
    Object.defineProperty(Object.prototype, 'keepalive', { value: true, configurable: true, writable: true });
    try {
      sendEarly(CONFIG);
    } finally {
      delete (Object.prototype as { keepalive?: boolean }).keepalive;
    }
    expect(calls[0].init.keepalive).toBe(false);
  });

  it('answers 0 when no response comes, and never rejects, even for a fetch that throws', async () => {
    vi.stubGlobal('fetch', () => {
      throw new TypeError('blocked');
    });
    await expect(sendEarly(CONFIG)!.r).resolves.toBe(0);
  });
});


describe('the early snippet', () => {
  it('queues every call, as the plain stub does, and sends on the first init', async () => {
    const stub = await pasteSnippet();
    stub('on', 'offers', () => {});
    stub('init', CONFIG);
    stub('personalize', { later: 1 });
    expect(stub.q!.map((args) => args[0])).toEqual(['on', 'init', 'personalize']);
    expect(calls).toHaveLength(1);
    expect(stub.e!.c).toBe(stub.q![1][1]);
  });

  it('loads the bundle async with the nonce of its own script', async () => {
    const own = document.createElement('script');
    own.nonce = 'n0nce';
    Object.defineProperty(document, 'currentScript', { configurable: true, get: () => own });
    await pasteSnippet();
    Reflect.deleteProperty(document, 'currentScript');
    const added = [...document.head.querySelectorAll('script')].pop()!;
    expect(added.src).toBe('https://your-cdn/p13n.min.js');
    expect(added.async).toBe(true);
    expect(added.nonce).toBe('n0nce');
    added.remove();
  });

  it.each([
    ['a set before init', ['set', { a: 1 }]],
    ['a consent before init', ['consent', 'granted']],
    ['an earlier init', ['init', { ...CONFIG, table: 'No-Such' }]],
  ])('leaves the page view to the core after %s', async (_what, first) => {
    const stub = await pasteSnippet();
    stub(...first);
    stub('init', CONFIG);
    expect(calls).toEqual([]);
    expect(stub.e).toBeUndefined();
  });

  it('a copy of the stub that page code kept makes live calls once the tag is in, and sends nothing itself', async () => {
    const stub = await pasteSnippet();
    stub('init', CONFIG);
    const p13n = await loadCore();
    await settle();
    expect(win.p13n).toBe(p13n);
    expect(calls).toHaveLength(1);
    stub('personalize', { from_copy: 1 });
    stub('init', CONFIG); // refused by the live tag, and no early request
    await settle();
    expect(calls.map((call) => call.body.from_copy)).toEqual([undefined, 1]);
  });

  it('leaves a p13n already on the page as it is', async () => {
    const live = () => {};
    win.p13n = live;
    await pasteSnippet();
    expect(win.p13n).toBe(live);
  });
});

describe('the core taking the early page view over', () => {
  /** The page as it is when the core arrives: the snippet pasted, init called, the early request out. */
  async function pageWithSnippet(config: object = CONFIG, extra?: (stub: Stub) => void) {
    const stub = await pasteSnippet();
    const seen: unknown[] = [];
    stub('on', 'offers', (detail: unknown) => seen.push(detail));
    stub('init', config);
    extra?.(stub);
    return { stub, seen };
  }

  it('sends no second request: it reads the early answer, emits it, and writes the cookie with its id', async () => {
    const { stub, seen } = await pageWithSnippet();
    const sent = JSON.parse(stub.e!.b);
    const p13n = await loadCore();
    await settle();
    expect(calls).toHaveLength(1);
    expect(seen).toEqual([{ offers: OFFERS, names: ['hero'], uuid: sent.uuid, status: 200 }]);
    expect(readCookie('_td')).toBe(sent.td_client_id);
    await expect(p13n('clientId')).resolves.toBe(sent.td_client_id);
    // what comes after is the core's own, with the same visitor
    await expect(p13n('personalize', { later: 1 })).resolves.toMatchObject({ ok: true });
    expect(calls).toHaveLength(2);
    expect(calls[1].body).toMatchObject({ later: 1, td_client_id: sent.td_client_id });
    expect(calls[1].body.uuid).not.toBe(sent.uuid);
  });

  it('waits for an answer still on its way', async () => {
    let release!: () => void;
    answers = [() => new Promise<Response>((resolve) => (release = () => resolve(json(200, { offers: OFFERS }))))];
    const { seen } = await pageWithSnippet();
    await loadCore();
    await settle();
    expect(seen).toEqual([]);
    release();
    await settle();
    expect(seen).toHaveLength(1);
    expect(calls).toHaveLength(1);
  });

  it('retries a retryable failure with the same body, once, within timeout', async () => {
    answers = [() => json(503, {}), () => json(200, { offers: OFFERS })];
    const { stub, seen } = await pageWithSnippet();
    await loadCore();
    await vi.waitFor(() => expect(seen).toHaveLength(1), { timeout: 2000 });
    expect(calls).toHaveLength(2);
    expect(calls[1].init.body).toBe(stub.e!.b);
  });

  it('reports a timeout when the early request never answers within timeout of the core taking over', async () => {
    answers = [() => new Promise<Response>(() => {})];
    const errors: unknown[] = [];
    await pageWithSnippet({ ...CONFIG, timeout: 50, onError: (detail: unknown) => errors.push(detail) });
    await loadCore();
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(errors[0]).toMatchObject({ error: { code: 'timeout' } });
    expect(calls).toHaveLength(1);
  });

  it('sends its own page view for an init the snippet did not send for', async () => {
    const stub = await pasteSnippet();
    stub('init', { ...CONFIG, consent: 'pending' });
    expect(calls).toEqual([]);
    const p13n = await loadCore();
    await p13n('consent', 'granted');
    await settle();
    expect(calls).toHaveLength(1);
  });

  it("keeps the visitor's id, not a td_client_id the attributes put in the body", async () => {
    document.cookie = '_td=a5f0e7e2-0000-4000-8000-000000000001; path=/';
    await pageWithSnippet({ ...CONFIG, attributes: { td_client_id: 'from-attributes' } });
    expect(calls[0].body.td_client_id).toBe('from-attributes'); // as the core sends it: attributes win in the body
    const p13n = await loadCore();
    await expect(p13n('clientId')).resolves.toBe('a5f0e7e2-0000-4000-8000-000000000001');
    expect(readCookie('_td')).toBe('a5f0e7e2-0000-4000-8000-000000000001');
  });

  it('counts a route the app took before the core came (spa), from the page the early view was of', async () => {
    const start = location.href;
    await pageWithSnippet({ ...CONFIG, spa: true });
    history.replaceState(null, '', '/moved');
    const p13n = await loadCore();
    try {
      await vi.waitFor(() => expect(calls.map((call) => call.body.td_path)).toEqual(['/home', '/moved']), { timeout: 3000 });
    } finally {
      await p13n('spa', false); // this page's routes are no later test's
      history.replaceState(null, '', start);
    }
  });

  it('a p13n.e a page made up is no early request: no throw, no unhandled rejection, the core sends its own', async () => {
    const stub = await pasteSnippet();
    stub('init', CONFIG);
    calls = [];
    stub.e = { c: stub.e!.c, b: stub.e!.b, i: stub.e!.i, r: Promise.reject(new Error('made up')) };
    const errors: unknown[] = [];
    const unhandled = (event: PromiseRejectionEvent) => errors.push(event.reason);
    window.addEventListener('unhandledrejection', unhandled);
    try {
      await loadCore();
      // the made-up answer counts as no response: the core sends the page view again, with the same body
      await vi.waitFor(() => expect(calls).toHaveLength(1), { timeout: 2000 });
      expect(calls[0].init.body).toBe(stub.e!.b);
      await settle(50);
      expect(errors).toEqual([]);
    } finally {
      window.removeEventListener('unhandledrejection', unhandled);
    }
  });

  it('ignores an early request of another config object, and one it cannot read', async () => {
    const stub = await pasteSnippet();
    stub('init', CONFIG);
    expect(calls).toHaveLength(1);
    // page code replaced the queue's config with an equal copy: not the init the request was sent for
    stub.q![0] = Object.assign([], { 0: 'init', 1: { ...CONFIG }, length: 2 }) as unknown as IArguments;
    await loadCore();
    await settle();
    expect(calls).toHaveLength(2);

    delete win.p13n;
    calls = [];
    const next = await pasteSnippet();
    next('init', CONFIG);
    next.e!.b = 'not json';
    await loadCore();
    await settle();
    expect(calls).toHaveLength(2);
  });
});
