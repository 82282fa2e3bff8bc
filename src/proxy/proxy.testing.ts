/**
 * What the proxy's unit tests share: its credentials, the page's origin, and a proxy whose upstream is a stub.
 * Not part of the proxy: nothing outside the tests imports it.
 */
import { vi } from 'vitest';
import { createProxy, type ProxyOptions } from '.';

export const KEY = '1/' + 'a'.repeat(40);
export const TOKEN = '1/2/' + 'b'.repeat(32);
export const PAGE = 'https://shop.example';

type Reply = () => Response | Promise<Response>;

/**
 * A proxy for pages on PAGE, writing shop_db/events and shop_db/orders, whose upstream answers `replies` in turn
 * (the last one repeated); `upstream` records what it was sent, `log` what the proxy reported.
 */
export function proxyWith(replies: Reply | Reply[], options: Partial<ProxyOptions> = {}) {
  const list = Array.isArray(replies) ? replies : [replies];
  let n = 0;
  const upstream = vi.fn(async (_url: string, _init: RequestInit) => list[Math.min(n++, list.length - 1)]());
  const log = vi.fn();
  const handle = createProxy({
    apiKey: KEY,
    token: TOKEN,
    tables: ['shop_db/events', 'shop_db/orders'],
    origins: [PAGE],
    fetch: upstream as never,
    log,
    ...options,
  });
  return { handle, upstream, log };
}
