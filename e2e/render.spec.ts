import { config, expect, test } from './fixtures';
import { attributeOf, countOf, isVisible, textOf, watchViolations } from './pages';

const ATTACK = '<img src=x onerror="window.pwned=1"><script>window.pwned=1</script>';

test('slots render offers as text only, under enforced Trusted Types and a strict CSP', async ({ open, emulator, server, tab }) => {
  emulator.setFault({ status: 200, times: 1, body: JSON.stringify({ offers: { hero: { attributes: { headline: ATTACK, cta: 'Shop now' } } } }) });
  const violations = await watchViolations(tab);
  const page = await open({
    csp: `default-src 'none'; script-src 'self'; connect-src ${server.apiUrl}; require-trusted-types-for 'script'`,
    head: `<script async src="{{TAG}}" data-p13n-init='${config()}'></script>`,
    body: `
      <section data-p13n-offer="hero" hidden><h2 data-p13n-attr="headline">Default</h2><a data-p13n-attr="cta">Default</a></section>
      <section data-p13n-offer="missing"><p data-p13n-attr="headline">Shown until the offers say otherwise</p></section>`,
  });
  await expect.poll(() => isVisible(page, '[data-p13n-offer="hero"]')).toBe(true);
  expect(await textOf(page, '[data-p13n-offer="hero"] [data-p13n-attr="headline"]')).toBe(ATTACK);
  expect(await textOf(page, '[data-p13n-offer="hero"] [data-p13n-attr="cta"]')).toBe('Shop now');
  await expect.poll(() => isVisible(page, '[data-p13n-offer="missing"]')).toBe(false);
  expect(await countOf(page, 'img, section script')).toBe(0);
  expect(await page.evaluate(() => (window as any).pwned)).toBeUndefined();
  expect(await violations.events()).toEqual([]);
  expect(await violations.console()).toEqual([]);
});

test.describe('links, images, late slots and p13n:render', () => {
  test('href and src take http(s) URLs only: script URLs and data: are refused, nothing runs', async ({ open, emulator, server }) => {
    const attributes = {
      text: '<img src=x onerror="window.pwned=\'text\'">',
      js: 'javascript:window.pwned="href"',
      jsMixed: ' JaVaScRiPt:window.pwned="mixed"',
      jsTab: 'java\tscript:window.pwned="tab"',
      dataHtml: 'data:text/html,<script>parent.pwned="data"</script>',
      dataSvg: 'data:image/svg+xml,<svg xmlns="http://www.w3.org/2000/svg" onload="parent.pwned=\'svg\'"/>',
      vbs: 'vbscript:msgbox(1)',
      good: 'https://www.shop.test/sale?from=offer',
      goodImg: 'https://cdn.shop.test/banner.png',
      relative: '/spring?x=1',
      object: { href: 'https://evil.test/' },
    };
    emulator.setFault({ status: 200, times: 1, body: JSON.stringify({ offers: { promo: { attributes } } }) });
    // no CSP here: were a script URL set, it would run
    const page = await open({
      head: `<script src="{{TAG}}"></script><script>p13n('init', ${config()})</script>`,
      body: `
        <section data-p13n-offer="promo" hidden>
          <p id="text" data-p13n-attr="text">Default text</p>
          <a id="js" data-p13n-attr-href="js" href="/default-js">a</a>
          <a id="mixed" data-p13n-attr-href="jsMixed" href="/default-mixed">b</a>
          <a id="tab" data-p13n-attr-href="jsTab" href="/default-tab">c</a>
          <a id="data" data-p13n-attr-href="dataHtml" href="/default-data">d</a>
          <map name="m"><area id="area" data-p13n-attr-href="vbs" href="/default-area"></map>
          <img id="img-js" data-p13n-attr-src="js" src="/default-1.png" alt="">
          <img id="img-svg" data-p13n-attr-src="dataSvg" src="/default-2.png" alt="">
          <img id="img-obj" data-p13n-attr-src="object" src="/default-3.png" alt="">
          <a id="good" data-p13n-attr-href="good" href="/default-good">e</a>
          <img id="img-good" data-p13n-attr-src="goodImg" src="/default-4.png" alt="">
          <a id="relative" data-p13n-attr-href="relative" href="/default-relative">f</a>
          <iframe id="frame" data-p13n-attr-src="good" src="about:blank"></iframe>
          <div id="div" data-p13n-attr-href="good" data-p13n-attr-src="good"></div>
        </section>`,
    });
    await expect.poll(() => isVisible(page, '[data-p13n-offer="promo"]')).toBe(true);
    const attribute = (selector: string, name: string) => attributeOf(page, selector, name);
    expect(await textOf(page, '#text')).toBe(attributes.text);
    expect(await attribute('#js', 'href')).toBe('/default-js');
    expect(await attribute('#mixed', 'href')).toBe('/default-mixed');
    expect(await attribute('#tab', 'href')).toBe('/default-tab');
    expect(await attribute('#data', 'href')).toBe('/default-data');
    expect(await attribute('#area', 'href')).toBe('/default-area');
    expect(await attribute('#img-js', 'src')).toBe('/default-1.png');
    expect(await attribute('#img-svg', 'src')).toBe('/default-2.png');
    expect(await attribute('#img-obj', 'src')).toBe('/default-3.png');
    // http(s) URLs are set, a relative one resolved against the page
    expect(await attribute('#good', 'href')).toBe(attributes.good);
    expect(await attribute('#img-good', 'src')).toBe(attributes.goodImg);
    expect(await attribute('#relative', 'href')).toBe(`http://www.shop.test:${server.port}/spring?x=1`);
    // never on a frame, never on an element that is not a link or a medium
    expect(await attribute('#frame', 'src')).toBe('about:blank');
    expect(await attribute('#div', 'href')).toBeNull();
    expect(await attribute('#div', 'src')).toBeNull();
    expect(await countOf(page, 'section img')).toBe(4); // the page's four: the text field's markup made none
    await page.waitForTimeout(200); // an onerror or onload would have run by now
    expect(await page.evaluate(() => (window as any).pwned)).toBeUndefined();
  });

  test('late slots: one added by page script 200 ms after the offers, one inside a lazily added section, one renamed', async ({ open, emulator }) => {
    emulator.setFault({
      status: 200,
      times: 1,
      body: JSON.stringify({ offers: { hero: { attributes: { headline: 'Hero offer' } }, side: { attributes: { note: 'Side offer' } } } }),
    });
    const page = await open({
      head: `<script src="{{TAG}}"></script><script>
        p13n('init', ${config()});
        document.addEventListener('p13n:offers', function () {
          setTimeout(function () {
            var slot = document.createElement('div');
            slot.id = 'late';
            slot.hidden = true;
            slot.setAttribute('data-p13n-offer', 'hero');
            slot.innerHTML = '<b data-p13n-attr="headline">Late default</b>';
            document.body.appendChild(slot);
            window.lateAt = performance.now();
          }, 200);
          setTimeout(function () {
            // a section rendered by a framework: the slot comes inside its subtree
            var section = document.createElement('section');
            section.id = 'lazy';
            section.innerHTML = '<div><article data-p13n-offer="side" hidden><i data-p13n-attr="note">Lazy default</i></article>'
              + '<article id="absent" data-p13n-offer="nothing_like_this">Shown until rendered</article></div>';
            document.body.appendChild(section);
          }, 300);
        });
      </script>`,
      body: `<div id="renamed" data-p13n-offer="nothing_yet"><b data-p13n-attr="headline">Renamed default</b></div>`,
    });
    await expect.poll(() => isVisible(page, '#renamed')).toBe(false); // no offer of that name
    await expect.poll(() => isVisible(page, '#late')).toBe(true);
    expect(await textOf(page, '#late b')).toBe('Hero offer');
    await expect.poll(() => isVisible(page, '#lazy [data-p13n-offer="side"]')).toBe(true);
    expect(await textOf(page, '#lazy i')).toBe('Side offer');
    expect(await isVisible(page, '#absent')).toBe(false);
    await page.evaluate(() => document.getElementById('renamed')!.setAttribute('data-p13n-offer', 'hero'));
    await expect.poll(() => isVisible(page, '#renamed')).toBe(true);
    expect(await textOf(page, '#renamed b')).toBe('Hero offer');
  });

  test('p13n:render bubbles with { name, offer, cached }; preventDefault lets the page render the slot itself', async ({ open, emulator }) => {
    const offers = { carousel: { attributes: { headline: 'Tag would write this', items: ['a', 'b'] } }, plain: { attributes: { headline: 'Plain offer' } } };
    emulator.setFault({ status: 200, times: 1, body: JSON.stringify({ offers }) });
    const page = await open({
      head: `<script>
        window.renders = [];
        document.addEventListener('p13n:render', function (e) {
          renders.push({ target: e.target.id, bubbles: e.bubbles, cancelable: e.cancelable, detail: e.detail });
          if (e.detail.name != 'carousel') return;
          e.preventDefault();
          e.target.querySelector('h2').textContent = 'Page rendered ' + e.detail.offer.attributes.items.join('+');
          e.target.setAttribute('data-page', 'yes');
        });
      </script>` + `<script src="{{TAG}}"></script><script>p13n('init', ${config()})</script>`,
      body: `
        <section id="carousel" data-p13n-offer="carousel" hidden><h2 data-p13n-attr="headline">Carousel default</h2></section>
        <section id="plain" data-p13n-offer="plain" hidden><h2 data-p13n-attr="headline">Plain default</h2></section>
        <section id="gone" data-p13n-offer="gone"><h2>Not offered</h2></section>`,
    });
    await expect.poll(() => textOf(page, '#plain h2')).toBe('Plain offer');
    expect(await isVisible(page, '#plain')).toBe(true);
    expect(await textOf(page, '#carousel h2')).toBe('Page rendered a+b');
    // the tag left it alone: still hidden, as the page's own markup had it
    expect(await isVisible(page, '#carousel')).toBe(false);
    expect(await isVisible(page, '#gone')).toBe(false);
    const renders = await page.evaluate(() => (window as any).renders);
    expect(renders).toEqual(
      expect.arrayContaining([
        { target: 'carousel', bubbles: true, cancelable: true, detail: { name: 'carousel', offer: offers.carousel, cached: false } },
        { target: 'plain', bubbles: true, cancelable: true, detail: { name: 'plain', offer: offers.plain, cached: false } },
        // offer is undefined (so absent once cloned out of the page) when it did not come back
        { target: 'gone', bubbles: true, cancelable: true, detail: { name: 'gone', cached: false } },
      ]),
    );
    expect(renders).toHaveLength(3);
  });
});
