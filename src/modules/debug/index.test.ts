import { describe, expect, it, vi } from 'vitest';
import { readConfig } from '../../core/config';
import { usage } from '../../core/errors';
import explain, { explanation } from './index';
import type { P13nError } from '../../types';

describe('the debug module', () => {
  it('says what a config key must be, from the short message that names it', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const error = readConfig({ database: 'shop_db', table: 'pageviews', apiKey: 'nope', token: '1/2/' + 'b'.repeat(32) }) as P13nError;
    expect(error.message).toMatch(/^p13n: config\.apiKey is invalid; see https:\/\/www\.npmjs\.com\/package\/p13n-tag#errors$/);
    expect(explanation(error)).toBe(error.message + '\n  config.apiKey must be a TD write API key, "{account_id}/{40 hex}", sent as Authorization: TD1 {apiKey}. ' +
      "Omit both apiKey and token only behind a first-party proxy on the page's own origin.");
  });

  it('says what a command takes', () => {
    expect(explanation(usage('on'))).toContain("on takes an event name ('offers', 'error' or 'ready') and a function");
  });

  it("explains the tag's other codes and the API's numbered ones", () => {
    expect(explanation({ code: 'module', message: 'p13n: the delivery module did not load from x' })).toContain("the policy 'p13n' is allowed");
    expect(explanation({ code: 3001, status: 400, message: 'RT token is not in configuration.' })).toContain('error 3001 (HTTP 400)');
  });

  it('leaves what it knows nothing of as it is, and writes to the console', () => {
    const info = vi.spyOn(console, 'info').mockImplementation(() => {});
    expect(explanation({ code: 'usage', message: 'p13n: nothing: bad arguments' })).toBe('p13n: nothing: bad arguments');
    explain({ code: 'consent', message: 'p13n: consent is denied' });
    expect(info).toHaveBeenCalledWith('p13n (debug):', expect.stringContaining('nothing is sent'));
  });
});
