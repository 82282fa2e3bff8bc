import { config, expect, snippet, test, type Tab } from './fixtures';
import { countOf, textOf, visibility, watchViolations } from './pages';

/**
 * What the visitor saw, in page time, with no polling gap from the test runner: `trace` notes when the
 * `#p13n-prehide` style appears ('hidden') and goes ('shown'), and the tag's events, each with whether the style
 * was there and how `#hero` looked; `looks` samples every change of `#hero`'s computed visibility (10 ms apart).
 */
const TRACE_JS = `
  window.trace = [];
  window.looks = [];
  var styled = function () { return !!document.getElementById('p13n-prehide') };
  var look = function () { var hero = document.getElementById('hero'); return hero ? getComputedStyle(hero).visibility : null };
  var note = function (what) { trace.push({ what: what, t: performance.now(), styled: styled(), visibility: look() }) };
  new MutationObserver(function () {
    if (styled() != !!window.wasStyled) { window.wasStyled = styled(); note(styled() ? 'hidden' : 'shown') }
  }).observe(document, { childList: true, subtree: true });
  document.addEventListener('p13n:ready', function () {
    note('ready');
    // Chromium hides nonces from the DOM: under a CSP the attribute reads '' once the element is in the document
    window.nonces = [].map.call(document.querySelectorAll('style#p13n-prehide'), function (s) { return [s.getAttribute('nonce'), s.nonce] });
    window.adopted = [].map.call(document.querySelectorAll('style#p13n-prehide'), function (s) { return s.getAttribute('data-from') || 'tag' });
  });
  document.addEventListener('p13n:offers', function () { note('offers') });
  document.addEventListener('p13n:error', function () { note('error') });
  var last;
  (function sample() {
    var now = look();
    if (now && now != last) { last = now; looks.push({ visibility: now, t: performance.now() }) }
    setTimeout(sample, 10);
  })();
`;
const TRACE = `<script>${TRACE_JS}</script>`;

/** The style the documented pre-hiding snippet adds before the bundle loads, marked so it can be recognized. */
const SNIPPET_STYLE = `<script>
  (function (d, y) { y = d.createElement('style'); y.id = 'p13n-prehide'; y.setAttribute('data-from', 'snippet');
    y.textContent = '#hero{visibility:hidden!important}'; d.head.appendChild(y) })(document);
</script>`;

const BODY = `<div id="hero" data-p13n-offer="welcome"><h2 data-p13n-attr="headline">Default hero</h2></div><p id="other">Not hidden</p>`;

type Note = { what: string; t: number; styled: boolean; visibility: string | null };
type Look = { visibility: string; t: number };
const trace = async (page: Tab) => (await page.evaluate(() => (window as any).trace)) as Note[];
const looks = async (page: Tab) => (await page.evaluate(() => (window as any).looks)) as Look[];
const at = (notes: Note[], what: string) => notes.find((note) => note.what == what)!;
const whats = (notes: Note[]) => notes.map((note) => note.what);

/**
 * `#hero` was seen hidden before the note `until` (the answer, or the style going) and is visible from then on:
 * already at that note when it is one of the tag's events, so their handlers see the page shown.
 */
async function hiddenUntil(page: Tab, until: string, sampled = true) {
  await expect.poll(() => visibility(page, '#hero')).toBe('visible');
  const notes = await trace(page);
  const end = at(notes, until);
  expect(end, `a "${until}" note in ${JSON.stringify(notes)}`).toBeTruthy();
  const seen = await looks(page);
  // a hiding of a few milliseconds may fall between two samples: then the trace's own notes are the evidence
  if (sampled) expect(seen.filter((look) => look.t < end.t).map((look) => look.visibility)).toContain('hidden');
  expect(seen.filter((look) => look.t > end.t).map((look) => look.visibility)).not.toContain('hidden');
  if (until != 'shown') expect(end).toMatchObject({ styled: false, visibility: 'visible' });
  return notes;
}

test.describe('prehide', () => {
  test('hides the selector while the answer is on its way and shows it the moment it is in', async ({ open, tab: page, emulator }) => {
    emulator.setFault({ delayMs: 700, times: 1 });
    await open({ head: TRACE + snippet(`p13n('init', ${config({ prehide: '#hero', prehideTimeout: 5000 })})`), body: BODY });
    expect(await textOf(page, 'style#p13n-prehide')).toBe('#hero{visibility:hidden!important}');
    expect(await visibility(page, '#other')).toBe('visible'); // only what is named
    const notes = await hiddenUntil(page, 'offers');
    expect(whats(notes)).toEqual(['hidden', 'ready', 'offers', 'shown']);
    await expect.poll(() => textOf(page, '#hero h2')).toMatch(/Welcome/); // rendered, too, before the handlers ran
    const hiddenFor = at(notes, 'offers').t - at(notes, 'hidden').t;
    expect(hiddenFor).toBeGreaterThan(650);
    expect(hiddenFor).toBeLessThan(2500); // the answer showed it, not the 5 s timeout
  });

  test('a hanging service: shown after prehideTimeout, not before', async ({ open, tab: page, emulator }) => {
    emulator.setFault({ hang: true, times: 1 });
    await open({ head: TRACE + snippet(`p13n('init', ${config({ prehide: '#hero', prehideTimeout: 500 })})`), body: BODY });
    const notes = await hiddenUntil(page, 'shown');
    expect(whats(notes)).toEqual(['hidden', 'ready', 'shown']); // no answer yet: the timeout showed it
    const hiddenFor = at(notes, 'shown').t - at(notes, 'hidden').t;
    expect(hiddenFor).toBeGreaterThan(450);
    expect(hiddenFor).toBeLessThan(1200);
  });

  test('a failed answer shows it at once', async ({ open, tab: page, emulator, posts }) => {
    // 500 with a 3xxx code: not retryable, so the answer is final when it comes
    emulator.setFault({ status: 500, code: 3010, delayMs: 700, times: 1 });
    await open({ head: TRACE + snippet(`p13n('init', ${config({ prehide: '#hero', prehideTimeout: 5000 })})`), body: BODY });
    const notes = await hiddenUntil(page, 'error');
    expect(whats(notes)).toEqual(['hidden', 'ready', 'error', 'shown']);
    const hiddenFor = at(notes, 'error').t - at(notes, 'hidden').t;
    expect(hiddenFor).toBeGreaterThan(650);
    expect(hiddenFor).toBeLessThan(2500);
    expect(posts()).toHaveLength(1);
  });

  test('retryable failures: shown when the last attempt has failed, long before the timeout', async ({ open, tab: page, emulator, posts }) => {
    emulator.setFault({ status: 503, times: 3 });
    await open({ head: TRACE + snippet(`p13n('init', ${config({ prehide: '#hero', prehideTimeout: 5000 })})`), body: BODY });
    const notes = await hiddenUntil(page, 'error');
    expect(whats(notes)).toEqual(['hidden', 'ready', 'error', 'shown']);
    // three attempts, after backoffs of 125-250 and 250-500 ms
    const hiddenFor = at(notes, 'error').t - at(notes, 'hidden').t;
    expect(hiddenFor).toBeGreaterThan(350);
    expect(hiddenFor).toBeLessThan(2500);
    expect(posts()).toHaveLength(3);
  });

  test("adopts the snippet's own style and removes it when the answer is in", async ({ open, tab: page, emulator }) => {
    emulator.setFault({ delayMs: 700, times: 1 });
    await open({
      // no prehide in the config: the style the snippet added is the one that hides, and the tag takes it over
      head: TRACE + SNIPPET_STYLE + snippet(`p13n('init', ${config({ prehideTimeout: 5000 })})`),
      body: BODY + `<script>window.early = getComputedStyle(document.getElementById('hero')).visibility</script>`,
    });
    // hidden from the first moment the hero exists, before the bundle may even have run
    expect(await page.evaluate(() => (window as any).early)).toBe('hidden');
    expect((await looks(page))[0].visibility).toBe('hidden');
    const notes = await hiddenUntil(page, 'offers');
    expect(whats(notes)).toEqual(['hidden', 'ready', 'offers', 'shown']);
    // the tag added none of its own: while the answer was pending, the one style was the snippet's
    expect(at(notes, 'ready').styled).toBe(true);
    expect(await page.evaluate(() => (window as any).adopted)).toEqual(['snippet']);
    expect(await countOf(page, 'style#p13n-prehide')).toBe(0);
  });

  test("consent denied and a refused config show the snippet's hidden element at once", async ({ open, tab: page, posts }) => {
    for (const [extra, event] of [[{ consent: 'denied' }, 'ready'], [{ database: 'Bad-Name' }, 'error']] as const) {
      await open({ head: TRACE + SNIPPET_STYLE + snippet(`p13n('init', ${config({ prehide: '#hero', prehideTimeout: 5000, ...extra })})`), body: BODY });
      const notes = await hiddenUntil(page, event, false);
      // the style was already gone when the tag's first event fired (hiddenUntil checked `styled: false`)
      expect(whats(notes)).toEqual(expect.arrayContaining(['hidden', 'shown', event]));
      expect(whats(notes)).not.toContain('offers');
      expect(at(notes, 'shown').t - at(notes, 'hidden').t).toBeLessThan(2500); // far from the 5 s prehideTimeout
    }
    expect(posts()).toEqual([]);
  });

  test('under a strict CSP, the configured nonce lets the style apply, with no violation', async ({ open, tab: page, server, emulator }) => {
    const violations = await watchViolations(page);
    emulator.setFault({ delayMs: 700, times: 1 });
    await open({
      csp: `default-src 'none'; script-src 'self' 'nonce-abc'; style-src 'nonce-abc'; connect-src ${server.apiUrl}`,
      head: (TRACE + snippet(`p13n('init', ${config({ prehide: '#hero', prehideTimeout: 5000, nonce: 'abc' })})`)).replace(/<script>/g, '<script nonce="abc">'),
      body: BODY,
    });
    const notes = await hiddenUntil(page, 'offers');
    expect(whats(notes)).toEqual(['hidden', 'ready', 'offers', 'shown']);
    await expect.poll(() => textOf(page, '#hero h2')).toMatch(/Welcome/);
    expect(await page.evaluate(() => (window as any).nonces)).toEqual([['', 'abc']]); // attribute hidden, property kept
    expect(await violations.events()).toEqual([]);
    expect(await violations.console()).toEqual([]);
  });

  test('under a strict CSP without the nonce, the browser blocks the style: nothing is hidden', async ({ open, tab: page, server, emulator }) => {
    const violations = await watchViolations(page);
    emulator.setFault({ delayMs: 700, times: 1 });
    await open({
      csp: `default-src 'none'; script-src 'self' 'nonce-abc'; style-src 'nonce-abc'; connect-src ${server.apiUrl}`,
      head: (TRACE + snippet(`p13n('init', ${config({ prehide: '#hero', prehideTimeout: 5000 })})`)).replace(/<script>/g, '<script nonce="abc">'),
      body: BODY,
    });
    await expect.poll(async () => whats(await trace(page))).toEqual(['hidden', 'ready', 'offers', 'shown']);
    const notes = await trace(page);
    // the element was in the document while the answer was pending, but its rule was refused: the hero showed
    const seen = await looks(page);
    expect(seen.map((look) => look.visibility)).toEqual(['visible']);
    expect(seen[0].t).toBeLessThan(at(notes, 'offers').t);
    expect(await page.evaluate(() => (window as any).nonces)).toEqual([[null, '']]);
    expect(await violations.events()).toEqual(['style-src-elem inline']);
    // Chromium's words: "Applying inline style violates the following Content Security Policy directive
    // 'style-src 'nonce-abc''. ... The action has been blocked." (the other engines word it their own way)
    if (page.engine == 'chromium') {
      expect(await violations.console()).toEqual([expect.stringMatching(/inline style violates .*style-src 'nonce-abc'.* blocked/)]);
    }
  });

  test('with Trusted Types enforced and no inline script, prehide causes no violation', async ({ open, tab: page, server, emulator }) => {
    const violations = await watchViolations(page);
    // the page allows no inline script: the trace comes as an init script, which no CSP applies to
    await page.addInitScript({ content: TRACE_JS });
    emulator.setFault({ delayMs: 700, times: 1 });
    await open({
      csp: `default-src 'none'; script-src 'self'; style-src 'nonce-abc'; connect-src ${server.apiUrl}; require-trusted-types-for 'script'; trusted-types 'none'`,
      head: `<script async src="{{TAG}}" data-p13n-init='${config({ prehide: '#hero', prehideTimeout: 5000, nonce: 'abc' })}'></script>`,
      body: BODY,
    });
    const notes = await hiddenUntil(page, 'offers');
    expect(whats(notes)).toEqual(['hidden', 'ready', 'offers', 'shown']);
    await expect.poll(() => textOf(page, '#hero h2')).toMatch(/Welcome/);
    expect(await page.evaluate(() => (window as any).nonces)).toEqual([['', 'abc']]);
    expect(await violations.events()).toEqual([]);
    expect(await violations.console()).toEqual([]);
  });
});
