import { afterEach, describe, expect, it } from 'vitest';
import { pageContext } from './context';

const undo: (() => void)[] = [];
/** Makes `target[key]` read as `value` for one test (own data properties and prototype getters alike). */
function stub(target: object, key: string, value: unknown) {
  const own = Object.getOwnPropertyDescriptor(target, key);
  Object.defineProperty(target, key, { configurable: true, get: () => value });
  undo.push(() => (own ? Object.defineProperty(target, key, own) : Reflect.deleteProperty(target, key)));
}
/** Adds `<meta name="description">` to the head for one test. */
function describePage(content: string) {
  const meta = document.createElement('meta');
  meta.name = 'description';
  meta.content = content;
  document.head.append(meta);
  undo.push(() => meta.remove());
}
/** Moves the page to another same-origin URL for one test. */
function visit(url: string) {
  history.replaceState(null, '', url);
  undo.push(() => history.replaceState(null, '', '/home?q=1#top'));
}
afterEach(() => {
  while (undo.length) undo.pop()!();
});

describe('pageContext', () => {
  it('carries the version it is given', () => {
    expect(pageContext('9.8.7').td_version).toBe('9.8.7');
  });

  it('sends the URL without its #fragment but with its query, with host and path', () => {
    expect(pageContext('1')).toMatchObject({
      td_url: 'http://www.shop.test/home?q=1',
      td_host: 'www.shop.test',
      td_path: '/home',
    });
    visit('/retail/shop/women?color=red&size=m#reviews');
    expect(pageContext('1')).toMatchObject({
      td_url: 'http://www.shop.test/retail/shop/women?color=red&size=m',
      td_host: 'www.shop.test',
      td_path: '/retail/shop/women',
    });
  });

  it('lower-cases the charset and language', () => {
    stub(document, 'characterSet', 'Shift_JIS');
    stub(navigator, 'language', 'ja-JP');
    expect(pageContext('1')).toMatchObject({ td_charset: 'shift_jis', td_language: 'ja-jp' });
  });

  it("sends '-' for an unknown charset", () => {
    stub(document, 'characterSet', '');
    expect(pageContext('1').td_charset).toBe('-');
  });

  it('describes the screen as N-bit and WxH', () => {
    stub(screen, 'colorDepth', 30);
    stub(screen, 'width', 1920);
    stub(screen, 'height', 1080);
    expect(pageContext('1')).toMatchObject({ td_color: '30-bit', td_screen: '1920x1080' });
  });

  it('takes the larger of the root element and the window for the viewport, per axis', () => {
    stub(document.documentElement, 'clientWidth', 1200);
    stub(document.documentElement, 'clientHeight', 500);
    stub(globalThis, 'innerWidth', 1000);
    stub(globalThis, 'innerHeight', 700);
    expect(pageContext('1').td_viewport).toBe('1200x700');
  });

  it('sends the title and referrer', () => {
    document.title = 'Women | Shop';
    stub(document, 'referrer', 'https://search.example/?q=tank+top');
    expect(pageContext('1')).toMatchObject({ td_title: 'Women | Shop', td_referrer: 'https://search.example/?q=tank+top' });
  });

  it('sends the meta description', () => {
    describePage('Tank tops & running shoes');
    expect(pageContext('1').td_description).toBe('Tank tops & running shoes');
  });

  it('cuts the meta description to 8192 characters', () => {
    const long = 'abcdefghij'.repeat(1000);
    describePage(long);
    const description = pageContext('1').td_description;
    expect(description).toHaveLength(8192);
    expect(long.startsWith(description)).toBe(true);
  });

  it('sends the user agent and platform', () => {
    stub(navigator, 'userAgent', 'Mozilla/5.0 (Macintosh) TestBrowser/1.0');
    stub(navigator, 'platform', 'MacIntel');
    expect(pageContext('1')).toMatchObject({ td_user_agent: 'Mozilla/5.0 (Macintosh) TestBrowser/1.0', td_platform: 'MacIntel' });
  });

  it('falls back to userAgentData.platform when navigator.platform is empty', () => {
    stub(navigator, 'platform', '');
    stub(navigator, 'userAgentData', { platform: 'macOS' });
    expect(pageContext('1').td_platform).toBe('macOS');
  });

  it('sends every field of the reference table, all as strings', () => {
    const context = pageContext('1');
    expect(Object.keys(context).sort()).toEqual(
      ['td_version', 'td_charset', 'td_language', 'td_color', 'td_screen', 'td_viewport', 'td_title', 'td_description',
        'td_url', 'td_user_agent', 'td_platform', 'td_host', 'td_path', 'td_referrer'].sort(),
    );
    for (const [key, value] of Object.entries(context)) expect(typeof value, key).toBe('string');
  });
});
