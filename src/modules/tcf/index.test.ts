import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import readTcf, { decision, readOptions, type TCData } from '.';
import installStub from '@iabtechlabtcf/stub';
import { startCmp, VENDOR_ID } from './cmp.testing';

const ALL = [1, 5, 6];
/** What IAB's CmpApi answers now, through `__tcfapi('getTCData')`. */
const tcData = () => new Promise<TCData>((resolve) => (window as any).__tcfapi('getTCData', 2, resolve));

beforeEach(() => {
  delete (window as any).__tcfapi;
});
afterEach(() => {
  vi.useRealTimers();
});

describe('decision, from what IAB\'s CmpApi answers', () => {
  it('waits while no choice is final: before any, and while the banner is open', async () => {
    const cmp = startCmp();
    cmp.show();
    expect((await tcData()).eventStatus).toBe('cmpuishown');
    expect(decision(await tcData(), ALL)).toBeUndefined();
    expect(decision(null, ALL)).toBeUndefined();
  });

  it('grants when GDPR does not apply, though IAB sends no purpose object then', async () => {
    startCmp().load(null);
    const data = await tcData();
    expect(data.gdprApplies).toBe(false);
    expect(data.purpose).toBeUndefined();
    expect(decision(data, ALL)).toBe('granted');
    expect(decision(data, ALL, VENDOR_ID)).toBe('granted');
  });

  it('with a vendor id: every purpose and the vendor; IAB lists purposes only up to the highest consented', async () => {
    const cmp = startCmp();
    cmp.load({ purposes: [1, 5, 6], vendor: true });
    expect((await tcData()).eventStatus).toBe('tcloaded');
    expect(decision(await tcData(), ALL, VENDOR_ID)).toBe('granted');
    cmp.load({ purposes: [1, 5], vendor: true });
    const data = await tcData();
    expect(Object.keys(data.purpose!.consents!).map(Number)).not.toContain(6);
    expect(decision(data, ALL, VENDOR_ID)).toBe('denied');
    cmp.load({ purposes: [1, 5, 6], vendor: false });
    expect(decision(await tcData(), ALL, VENDOR_ID)).toBe('denied');
  });

  it('without one: the publisher\'s purposes, whatever the vendors got', async () => {
    const cmp = startCmp();
    cmp.load({ purposes: [1, 5, 6], vendor: true, publisher: [1, 5] });
    expect(decision(await tcData(), ALL)).toBe('denied');
    expect(decision(await tcData(), [1, 5])).toBe('granted');
    cmp.show();
    cmp.choose({ publisher: [1, 5, 6] });
    expect((await tcData()).eventStatus).toBe('useractioncomplete');
    expect(decision(await tcData(), ALL)).toBe('granted');
  });
});

describe('readOptions', () => {
  it.each([
    [{ purposes: [] }, true],
    [{ purposes: [1, 12] }, 'config.tcf.purposes is invalid'],
    [{ purposes: '1,5' }, 'config.tcf.purposes is invalid'],
    [{ vendorId: 0 }, 'config.tcf.vendorId is invalid'],
    [{ vendorId: 1.5 }, 'config.tcf.vendorId is invalid'],
    [{ timeout: -1 }, 'config.tcf.timeout is invalid'],
    [{ vendorId: 42, timeout: 0 }, true],
  ])('%j', (options, expected) => {
    const read = readOptions(options as never);
    if (expected === true) expect(typeof read).toBe('object');
    else expect(read).toMatch(new RegExp('^' + expected));
  });
});

describe('readTcf', () => {
  const run = (options = {}) => {
    const decided: string[] = [];
    const reported: unknown[] = [];
    readTcf(options, (decision) => decided.push(decision), (error) => reported.push(error));
    return { decided, reported };
  };

  it('follows the CMP: nothing until a choice is final, then each change, each once', async () => {
    const cmp = startCmp();
    const { decided } = run({ vendorId: VENDOR_ID });
    cmp.show();
    expect(decided).toEqual([]);
    cmp.choose({ purposes: ALL, vendor: true });
    expect(decided).toEqual(['granted']);
    cmp.load({ purposes: ALL, vendor: true }); // the same again: no new decision
    cmp.show();
    cmp.choose({ purposes: [1], vendor: true }); // withdrawn
    expect(decided).toEqual(['granted', 'denied']);
  });

  it('hears a CMP that loads after it, through the stub\'s queue', async () => {
    installStub();
    let status = '';
    (window as any).__tcfapi('ping', 2, (ping: { cmpStatus: string }) => (status = ping.cmpStatus));
    expect(status).toBe('stub'); // IAB's own stub, queueing
    const { decided } = run();
    expect(decided).toEqual([]);
    startCmp().load({ publisher: ALL });
    expect(decided).toEqual(['granted']);
  });

  it('denies when no CMP comes within the timeout, and not before', async () => {
    vi.useFakeTimers();
    const { decided } = run({ timeout: 500 });
    await vi.advanceTimersByTimeAsync(400);
    expect(decided).toEqual([]);
    await vi.advanceTimersByTimeAsync(200);
    expect(decided).toEqual(['denied']);
  });

  it('a CMP found within the timeout keeps consent pending while its banner is open, however long', async () => {
    vi.useFakeTimers();
    const cmp = startCmp();
    cmp.show();
    const { decided } = run({ timeout: 500 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(decided).toEqual([]);
  });

  it('denies when the CMP is disabled, or its API throws', async () => {
    const cmp = startCmp();
    cmp.disable();
    expect(run().decided).toEqual(['denied']);
    (window as any).__tcfapi = () => {
      throw new Error('broken CMP');
    };
    expect(run().decided).toEqual(['denied']);
  });

  it('a decide that throws is not called again by IAB\'s retry with (null, false)', async () => {
    startCmp().load({ publisher: ALL });
    let calls = 0;
    readTcf({}, () => {
      calls++;
      throw new Error('page code');
    }, () => {});
    expect(calls).toBe(1);
  });

  it('bad options: a config error, and denied', () => {
    const { decided, reported } = run({ purposes: [0] });
    expect(decided).toEqual(['denied']);
    expect(reported).toEqual([{ code: 'config', message: expect.stringMatching(/^p13n: config\.tcf\.purposes is invalid: .*; see https:/) }]);
  });
});
