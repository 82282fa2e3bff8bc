import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Client, ErrorDetail, OffersDetail } from '../types';
import { LOADING, offersSource } from './source';

/** A client with the two commands the source uses, and a way to emit what the tag would. */
function fakeClient() {
  const handlers: Record<string, ((detail: never) => void)[]> = { offers: [], error: [] };
  const client = {
    on: (type: string, handler: (detail: never) => void) => (handlers[type].push(handler), Promise.resolve({ ok: true })),
    off: (type: string, handler: (detail: never) => void) => ((handlers[type] = handlers[type].filter((h) => h != handler)), Promise.resolve({ ok: true })),
  } as unknown as Pick<Client, 'on' | 'off'>;
  const emit = (type: 'offers' | 'error', detail: OffersDetail | ErrorDetail) => handlers[type].forEach((handler) => handler(detail as never));
  return { client, handlers, emit };
}
const offers = { welcome: { attributes: { headline: 'Hi' } } };
const detail: OffersDetail = { offers, names: ['welcome'], uuid: 'u', status: 200 };

describe('offersSource', () => {
  it('is loading until the first offers, then ready with them; listeners hear each change', () => {
    const { client, emit } = fakeClient();
    const source = offersSource(client);
    expect(source.get()).toBe(LOADING);
    let heard = 0;
    source.subscribe(() => heard++);
    emit('offers', detail);
    expect(source.get()).toEqual({ status: 'ready', offers, cached: false });
    expect(heard).toBe(1);
  });

  it('an error before any offers is the error state; a later one keeps the offers', () => {
    const first = fakeClient();
    const failing = offersSource(first.client);
    failing.subscribe(() => {});
    const error = { code: 'network' as const, message: 'p13n: no response' };
    first.emit('error', { error });
    expect(failing.get()).toEqual({ status: 'error', offers: {}, error });
    const second = fakeClient();
    const working = offersSource(second.client);
    working.subscribe(() => {});
    second.emit('offers', detail);
    second.emit('error', { error });
    expect(working.get().status).toBe('ready');
  });

  it('one source per client, listening from the first subscriber to the last', () => {
    const { client, handlers } = fakeClient();
    expect(offersSource(client)).toBe(offersSource(client));
    const source = offersSource(client);
    const stop = [source.subscribe(() => {}), source.subscribe(() => {})];
    expect(handlers.offers).toHaveLength(1);
    stop[0]();
    expect(handlers.offers).toHaveLength(1);
    stop[1]();
    expect(handlers.offers).toHaveLength(0);
    expect(handlers.error).toHaveLength(0);
  });

  it("a tag that throws leaves the state as it is and throws nothing into the app", () => {
    const broken = { on: () => { throw new Error('broken'); }, off: () => { throw new Error('broken'); } } as unknown as Pick<Client, 'on' | 'off'>;
    const source = offersSource(broken);
    expect(() => source.subscribe(() => {})()).not.toThrow();
    expect(source.get()).toBe(LOADING);
  });
});

describe('the page tag', () => {
  const page = window as unknown as { p13n?: ((...args: unknown[]) => unknown) & { q?: unknown[][] } };
  beforeEach(() => delete page.p13n);
  afterEach(() => delete page.p13n);

  it("without a tag yet, installs the snippet's stub and queues its on() calls for the tag to replay", () => {
    const stop = offersSource().subscribe(() => {});
    expect(typeof page.p13n).toBe('function');
    expect(Array.from(page.p13n!.q!, (args) => Array.from(args).slice(0, 2))).toEqual([
      ['on', 'offers'],
      ['on', 'error'],
    ]);
    stop();
  });

  it('reaches the tag that replaced the stub: an off() after the tag loaded is not lost in the dead queue', () => {
    const stop = offersSource().subscribe(() => {});
    const calls: unknown[][] = [];
    page.p13n = Object.assign((...args: unknown[]) => (calls.push(args.slice(0, 2)), Promise.resolve({ ok: true })), { v: '0.1.0' });
    stop();
    expect(calls).toEqual([
      ['off', 'offers'],
      ['off', 'error'],
    ]);
  });
});
