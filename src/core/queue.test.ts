import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { P13n } from '../types';

const CONFIG = { database: 'shop_db', table: 'pageviews', apiKey: '1/' + 'a'.repeat(40), token: '1/2/' + 'b'.repeat(32) };
type Global = { p13n?: unknown };
const win = window as unknown as Global;
let bodies: Record<string, unknown>[];

/** The documented snippet's stub, as a page defines it before the bundle arrives. */
function snippetStub() {
  // as the snippet: `function () { (p13n.q = p13n.q || []).push(arguments) }`, through the global name
  const stub = function () {
    const global = win.p13n as { q?: { push(args: IArguments): void } | IArguments[] };
    (global.q = global.q || []).push(arguments);
  };
  win.p13n = stub;
  return stub as unknown as (...args: unknown[]) => void;
}
/** Runs the bundle's entry as a fresh script would. */
async function load() {
  vi.resetModules();
  await import('./queue');
  return win.p13n as P13n;
}
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

beforeEach(() => {
  localStorage.clear(); // the outbox of track() lives there
  delete win.p13n;
  bodies = [];
  vi.stubGlobal('fetch', vi.fn(async (_url: string, init: RequestInit) => {
    bodies.push(JSON.parse(init.body as string));
    return new Response('{"offers":{}}', { status: 200 });
  }));
});
afterEach(() => {
  delete win.p13n;
  Reflect.deleteProperty(document, 'currentScript');
});

describe('the global entry', () => {
  it('replays the snippet queue in call order, then is live', async () => {
    const stub = snippetStub();
    const seen: string[] = [];
    stub('on', 'ready', () => seen.push('ready'));
    stub('set', { from: 'set' });
    stub('init', { ...CONFIG, attributes: { from: 'init' } });
    stub('personalize', { call: 1 });
    const p13n = await load();
    expect(typeof p13n).toBe('function');
    expect(p13n.v).toMatch(/^\d+\.\d+\.\d+/);
    await settle();
    expect(seen).toEqual(['ready']);
    // the page view comes first, then the queued call, both with the set attributes
    expect(bodies.map((body) => body.call)).toEqual([undefined, 1]);
    expect(bodies.every((body) => body.from === 'set')).toBe(true);
    await expect(p13n('personalize')).resolves.toMatchObject({ ok: true, status: 200 });
  });

  it('holds commands made before init and answers them once init arrives', async () => {
    const p13n = await load();
    const early = p13n('clientId');
    const personalized = p13n('personalize', { early: true });
    await settle();
    expect(bodies).toHaveLength(0);
    await expect(p13n('init', { ...CONFIG, pageview: false })).resolves.toEqual({ ok: true });
    await expect(early).resolves.toMatch(/^[0-9a-f-]{36}$/);
    await expect(personalized).resolves.toMatchObject({ ok: true });
    expect(bodies).toEqual([expect.objectContaining({ early: true })]);
  });

  it('answers held commands with the config error when init fails', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const p13n = await load();
    const held = p13n('personalize');
    await p13n('init', { ...CONFIG, token: 'nope' });
    await expect(held).resolves.toMatchObject({ ok: false, error: { code: 'config' } });
    expect(bodies).toHaveLength(0);
  });

  it('a second copy changes nothing and loses nothing', async () => {
    const stub = snippetStub();
    stub('init', { ...CONFIG, pageview: false });
    const first = await load();
    const staleStub = stub; // page code that kept the stub keeps working
    const second = await load();
    expect(second).toBe(first);
    staleStub('personalize', { via: 'stale stub' });
    await settle();
    expect(bodies).toEqual([expect.objectContaining({ via: 'stale stub' })]);
  });

  it('refuses a second init and unknown commands without throwing', async () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
    const p13n = await load();
    await p13n('init', { ...CONFIG, pageview: false });
    await expect(p13n('init', CONFIG)).resolves.toMatchObject({ ok: false, error: { code: 'config' } });
    await expect((p13n as unknown as (c: string) => Promise<unknown>)('personalise')).resolves.toMatchObject({
      ok: false,
      error: { code: 'usage', message: expect.stringContaining('personalise') },
    });
    expect(consoleError).toHaveBeenCalledTimes(2);
  });

  it('initializes from data-p13n-init on its own script tag', async () => {
    const script = document.createElement('script');
    script.setAttribute('data-p13n-init', JSON.stringify({ ...CONFIG, attributes: { inline: 'no' } }));
    Object.defineProperty(document, 'currentScript', { value: script, configurable: true });
    const p13n = await load();
    await settle();
    expect(bodies).toEqual([expect.objectContaining({ inline: 'no' })]);
    await expect(p13n('init', CONFIG)).resolves.toMatchObject({ ok: false });
  });

  it('reports a data-p13n-init that is not JSON', async () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
    const script = document.createElement('script');
    script.setAttribute('data-p13n-init', "{database: 'x'}");
    Object.defineProperty(document, 'currentScript', { value: script, configurable: true });
    await load();
    expect(consoleError).toHaveBeenCalledWith(expect.stringContaining('data-p13n-init'));
    expect(bodies).toHaveLength(0);
  });
});

describe('a refused init does not use up the page', () => {
  const BAD = { ...CONFIG, database: 'Demo-DB' };
  let consoleError: ReturnType<typeof vi.spyOn>;
  beforeEach(() => {
    consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
    vi.stubGlobal('fetch', vi.fn(async (_url: string, init: RequestInit) => {
      bodies.push(JSON.parse(init.body as string));
      return new Response('{"offers":{"hero":{"attributes":{"n":1}}}}', { status: 200 });
    }));
  });

  it('a corrected init after a refused one sends the page view, to a handler registered before both', async () => {
    const p13n = await load();
    const names: string[][] = [];
    const errors: string[] = [];
    // before any init: answered by the first client
    const registered = p13n('on', 'offers', (detail) => names.push(detail.names));
    p13n('on', 'error', (detail) => errors.push(String(detail.error.code)));
    p13n('set', { from: 'set' });
    await expect(p13n('init', BAD)).resolves.toMatchObject({ ok: false, error: { code: 'config', message: expect.stringContaining('config.database') } });
    await expect(registered).resolves.toEqual({ ok: true });
    // made after the refusal, before the next init: answered with that refusal
    await expect(p13n('personalize')).resolves.toMatchObject({ ok: false, error: { code: 'config' } });
    expect(bodies).toHaveLength(0);
    await expect(p13n('init', CONFIG)).resolves.toEqual({ ok: true });
    await vi.waitFor(() => expect(names).toEqual([['hero']]));
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toMatchObject({ from: 'set', td_path: location.pathname });
    // the refusal reached the error handler, once: the corrected client did not repeat it
    expect(errors).toEqual(['config', 'config']);
    await expect(p13n('clientId')).resolves.toMatch(/^[0-9a-f-]{36}$/);
  });

  it('an init after one that succeeded is refused, whatever its config', async () => {
    const p13n = await load();
    await expect(p13n('init', { ...CONFIG, pageview: false })).resolves.toEqual({ ok: true });
    await expect(p13n('init', CONFIG)).resolves.toMatchObject({ ok: false, error: { code: 'config', message: expect.stringContaining('already succeeded') } });
    await expect(p13n('init', BAD)).resolves.toMatchObject({ ok: false, error: { code: 'config', message: expect.stringContaining('already succeeded') } });
    await settle();
    expect(bodies).toHaveLength(0); // the second init's page view never went out
  });

  it('bad, bad, good: the third init works, and sends one page view', async () => {
    const p13n = await load();
    await expect(p13n('init', BAD)).resolves.toMatchObject({ ok: false });
    await expect(p13n('init', { ...CONFIG, token: 'nope' })).resolves.toMatchObject({ ok: false, error: { message: expect.stringContaining('config.token') } });
    await expect(p13n('init', CONFIG)).resolves.toEqual({ ok: true });
    await vi.waitFor(() => expect(bodies).toHaveLength(1));
    await settle();
    expect(bodies).toHaveLength(1);
  });

  it('two inits in one tick, the first bad: the second waits for the refusal, then runs; calls after it go to it', async () => {
    const p13n = await load();
    const seen: string[] = [];
    p13n('on', 'ready', () => seen.push('ready'));
    const first = p13n('init', BAD);
    const second = p13n('init', { ...CONFIG, attributes: { second: true } });
    const third = p13n('init', CONFIG); // the second succeeds first: refused
    const personalized = p13n('personalize', { call: 1 });
    await expect(first).resolves.toMatchObject({ ok: false, error: { code: 'config' } });
    await expect(second).resolves.toEqual({ ok: true });
    await expect(third).resolves.toMatchObject({ ok: false, error: { message: expect.stringContaining('already succeeded') } });
    await expect(personalized).resolves.toMatchObject({ ok: true, offers: { hero: {} } });
    await vi.waitFor(() => expect(bodies).toHaveLength(2));
    expect(bodies.every((body) => body.second === true)).toBe(true);
    expect(bodies.map((body) => body.call)).toEqual([undefined, 1]);
    expect(seen).toEqual(['ready']);
  });

  it('two inits in one tick, the first good: the second is refused and changes nothing', async () => {
    const p13n = await load();
    const [first, second] = [p13n('init', CONFIG), p13n('init', { ...CONFIG, attributes: { second: true } })];
    await expect(first).resolves.toEqual({ ok: true });
    await expect(second).resolves.toMatchObject({ ok: false, error: { code: 'config' } });
    await vi.waitFor(() => expect(bodies).toHaveLength(1));
    await settle();
    expect(bodies).toEqual([expect.not.objectContaining({ second: true })]);
    expect(consoleError).toHaveBeenCalledTimes(1);
  });
});
