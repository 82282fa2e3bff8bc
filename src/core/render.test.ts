import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRenderer } from './render';

const slot = (name: string) => document.querySelector<HTMLElement>(`[data-p13n-offer="${name}"]`)!;
const field = (name: string, key: string) => slot(name).querySelector(`[data-p13n-attr="${key}"]`)!;

/** Lets the MutationObserver deliver what the page changed. */
const settle = () => new Promise((resolve) => setTimeout(resolve));
const $ = <E extends Element = HTMLElement>(selector: string) => document.querySelector<E>(selector)!;
const cleanups: (() => void)[] = [];
/** Every `p13n:render` event that reaches the document, in order. */
function renders() {
  const seen: CustomEvent<{ name: string | null; offer: unknown; cached: boolean }>[] = [];
  const listener = (event: Event) => seen.push(event as CustomEvent);
  document.addEventListener('p13n:render', listener);
  cleanups.push(() => document.removeEventListener('p13n:render', listener));
  return seen;
}

let renderer: ReturnType<typeof createRenderer>;
let render: ReturnType<typeof createRenderer>['_render'];
beforeEach(() => {
  renderer = createRenderer();
  render = renderer._render;
  document.body.innerHTML = `
    <section data-p13n-offer="hero" hidden><h2 data-p13n-attr="headline">Default</h2><p data-p13n-attr="text">Default text</p></section>
    <section data-p13n-offer="other"><span data-p13n-attr="headline">Shown by default</span></section>
    <section data-p13n-offer="toString" hidden><span data-p13n-attr="headline"></span></section>`;
});

/** Every MutationObserver made during a test: the renderer's must not fill the next test's page. */
const observers: MutationObserver[] = [];
const Observer = MutationObserver;
beforeEach(() => {
  vi.stubGlobal('MutationObserver', class extends Observer {
    constructor(callback: MutationCallback) {
      super(callback);
      observers.push(this);
    }
  });
});
afterEach(() => {
  observers.splice(0).forEach((observer) => observer.disconnect());
  cleanups.splice(0).forEach((cleanup) => cleanup());
});

describe('render', () => {
  it('shows the slots whose offer came back, hides the others, and fills their fields', () => {
    render({ hero: { attributes: { headline: 'Spring sale', text: 20 } } });
    expect(slot('hero').hidden).toBe(false);
    expect(field('hero', 'headline').textContent).toBe('Spring sale');
    expect(field('hero', 'text').textContent).toBe('20');
    expect(slot('other').hidden).toBe(true);
  });

  it('sets text only: markup in an offer stays text and creates no element', () => {
    const attack = '<img src=x onerror="window.pwned=1"><script>window.pwned=1</script>';
    render({ hero: { attributes: { headline: attack } } });
    expect(field('hero', 'headline').textContent).toBe(attack);
    expect(field('hero', 'headline').children).toHaveLength(0);
    expect(document.querySelector('img, script')).toBeNull();
  });

  it('keeps the default text of a field the offer lacks, or whose value is not text', () => {
    render({ hero: { attributes: { text: { nested: true } } } });
    expect(slot('hero').hidden).toBe(false);
    expect(field('hero', 'headline').textContent).toBe('Default');
    expect(field('hero', 'text').textContent).toBe('Default text');
  });

  it('shows an offer that has no attributes', () => {
    render({ hero: {} });
    expect(slot('hero').hidden).toBe(false);
    expect(field('hero', 'headline').textContent).toBe('Default');
  });

  it('reads own properties only: inherited names and a polluted prototype render nothing', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.headline = 'polluted';
    try {
      render({ hero: { attributes: {} } });
    } finally {
      delete proto.headline;
    }
    expect(slot('toString').hidden).toBe(true); // an offers object inherits toString, but it is no offer
    expect(field('hero', 'headline').textContent).toBe('Default');
  });

  it('hides every slot when no offer came back', () => {
    render({});
    expect([slot('hero').hidden, slot('other').hidden]).toEqual([true, true]);
  });
});

describe('render: regions an app renders itself (data-p13n-app)', () => {
  it('leaves the slots inside one alone, hidden, text and events, and fills those outside it', () => {
    document.body.innerHTML = `<div id="app" data-p13n-app><section data-p13n-offer="hero" hidden><h2 data-p13n-attr="headline">Server text</h2></section></div>
      <section data-p13n-offer="hero" id="outside" hidden><h2 data-p13n-attr="headline">Default</h2></section>`;
    const seen: unknown[] = [];
    document.addEventListener('p13n:render', (event) => seen.push((event.target as Element).id), { once: true });
    render({ hero: { attributes: { headline: 'Hi' } } });
    const inside = document.querySelector<HTMLElement>('#app [data-p13n-offer]')!;
    expect([inside.hidden, inside.textContent]).toEqual([true, 'Server text']);
    expect([document.getElementById('outside')!.hidden, document.getElementById('outside')!.textContent]).toEqual([false, 'Hi']);
    expect(seen).toEqual(['outside']);
  });
});

describe('render: href and src', () => {
  const promo = (attributes: Record<string, unknown>) => render({ promo: { attributes } });
  const page = (html: string) => {
    document.body.innerHTML = `<section data-p13n-offer="promo">${html}</section>`;
  };

  it('sets href on links and image-map areas to an http(s) URL', () => {
    page(`<a data-p13n-attr-href="link" href="/default">Shop</a><map><area data-p13n-attr-href="area" href="/default"></map>`);
    promo({ link: 'https://www.shop.test/sale', area: 'http://cdn.shop.test/map' });
    expect($('a').getAttribute('href')).toBe('https://www.shop.test/sale');
    expect($('area').getAttribute('href')).toBe('http://cdn.shop.test/map');
    expect($('a').textContent).toBe('Shop');
  });

  it('sets src on img, source, video, audio and track', () => {
    const tags = ['img', 'source', 'video', 'audio', 'track'];
    page(`<picture><source data-p13n-attr-src="source"><img data-p13n-attr-src="img" src="/default.png"></picture>
      <video data-p13n-attr-src="video"><track data-p13n-attr-src="track"></video><audio data-p13n-attr-src="audio"></audio>`);
    promo(Object.fromEntries(tags.map((tag) => [tag, `https://cdn.shop.test/${tag}`])));
    expect(tags.map((tag) => $(tag).getAttribute('src'))).toEqual(tags.map((tag) => `https://cdn.shop.test/${tag}`));
  });

  it.each([
    ['/sale?id=7#top', 'http://www.shop.test/sale?id=7#top'],
    ['sale.png', 'http://www.shop.test/sale.png'],
    ['//cdn.shop.test/a.png', 'http://cdn.shop.test/a.png'],
    ['?page=2', 'http://www.shop.test/home?page=2'],
  ])('resolves the relative URL %j against the page and sets it absolute', (value, absolute) => {
    page(`<a data-p13n-attr-href="url"></a><img data-p13n-attr-src="url">`);
    promo({ url: value });
    expect($('a').getAttribute('href')).toBe(absolute);
    expect($('img').getAttribute('src')).toBe(absolute);
  });

  it.each<[string, unknown]>([
    ['javascript:', 'javascript:alert(1)'],
    ['upper-case JAVASCRIPT:', 'JAVASCRIPT:alert(1)'],
    ['javascript: after spaces', '  javascript:alert(1)'],
    ['javascript: with a tab inside', 'java\tscript:alert(1)'],
    ['javascript: with a newline inside', 'java\nscript:alert(1)'],
    ['javascript: after control characters', '\u0001\u001f javascript:alert(1)'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['vbscript:', 'vbscript:msgbox(1)'],
    ['blob:', 'blob:http://www.shop.test/0b5e0c34-5b3d-4c1f-9c55-7d0b1a1b2c3d'],
    ['ftp:', 'ftp://files.shop.test/a.png'],
    ['an unparsable URL', 'https://exa mple.test:99999/'],
    ['a number (it would resolve as a relative path)', 42],
    ['an object whose toString is an http URL', { toString: () => 'https://evil.test/' }],
    ['an array holding an http URL', ['https://evil.test/']],
    ['true', true],
    ['null', null],
  ])('refuses %s: the page keeps its href and src', (_, value) => {
    page(`<a data-p13n-attr-href="url" href="/default">Shop</a><img data-p13n-attr-src="url" src="/default.png">`);
    promo({ url: value });
    expect($('a').getAttribute('href')).toBe('/default');
    expect($('img').getAttribute('src')).toBe('/default.png');
  });

  it('keeps the page href when the offer lacks the key', () => {
    page(`<a data-p13n-attr="label" data-p13n-attr-href="url" href="/default">Default</a>`);
    promo({ label: 'Sale' });
    expect($('a').getAttribute('href')).toBe('/default');
    expect($('a').textContent).toBe('Sale');
  });

  it.each([
    ['script', 'src'],
    ['iframe', 'src'],
    ['embed', 'src'],
    ['object', 'src'],
    ['link', 'href'],
    ['base', 'href'],
  ])('never sets a URL on <%s> (%s)', (tag, target) => {
    page(`<${tag} data-p13n-attr-${target}="url"></${tag}>`);
    promo({ url: 'https://cdn.shop.test/evil.js' });
    expect($(tag).hasAttribute(target)).toBe(false);
  });

  it('keeps the URL a <link> had', () => {
    page(`<link data-p13n-attr-href="url" href="/print.css">`);
    promo({ url: 'https://cdn.shop.test/evil.css' });
    expect($('link').getAttribute('href')).toBe('/print.css');
  });

  it('sets href on links only and src on media only', () => {
    page(`<a data-p13n-attr-src="url"></a><img data-p13n-attr-href="url">`);
    promo({ url: 'https://cdn.shop.test/a.png' });
    expect($('a').hasAttribute('src')).toBe(false);
    expect($('img').hasAttribute('href')).toBe(false);
  });

  it('fills text and href of one element at once', () => {
    page(`<a data-p13n-attr="label" data-p13n-attr-href="url" href="/default">Default</a>`);
    promo({ label: 'Spring sale', url: 'https://www.shop.test/spring' });
    expect($('a').textContent).toBe('Spring sale');
    expect($('a').getAttribute('href')).toBe('https://www.shop.test/spring');
  });
});

describe('render: nested slots', () => {
  beforeEach(() => {
    document.body.innerHTML = `
      <section data-p13n-offer="outer" hidden>
        <a id="outer-link" data-p13n-attr="title" data-p13n-attr-href="url" href="/outer">Outer default</a>
        <div data-p13n-offer="inner" hidden>
          <a id="inner-link" data-p13n-attr="title" data-p13n-attr-href="url" href="/inner">Inner default</a>
          <img id="inner-img" data-p13n-attr-src="url" src="/inner.png">
        </div>
      </section>`;
  });

  it('fields inside a nested slot belong to the inner slot only', () => {
    render({ outer: { attributes: { title: 'Outer', url: 'https://www.shop.test/o' } } });
    expect($('#outer-link').textContent).toBe('Outer');
    expect($('#outer-link').getAttribute('href')).toBe('https://www.shop.test/o');
    expect($('#inner-link').textContent).toBe('Inner default');
    expect($('#inner-link').getAttribute('href')).toBe('/inner');
    expect($('#inner-img').getAttribute('src')).toBe('/inner.png');
    expect(slot('inner').hidden).toBe(true);
  });

  it('fills each slot from its own offer', () => {
    render({
      outer: { attributes: { title: 'Outer', url: 'https://www.shop.test/o' } },
      inner: { attributes: { title: 'Inner', url: 'https://www.shop.test/i' } },
    });
    expect($('#outer-link').textContent).toBe('Outer');
    expect($('#inner-link').textContent).toBe('Inner');
    expect($('#inner-link').getAttribute('href')).toBe('https://www.shop.test/i');
    expect($('#inner-img').getAttribute('src')).toBe('https://www.shop.test/i');
  });

  it('leaves the outer fields alone when only the inner offer came back', () => {
    render({ inner: { attributes: { title: 'Inner', url: 'https://www.shop.test/i' } } });
    expect($('#outer-link').textContent).toBe('Outer default');
    expect($('#outer-link').getAttribute('href')).toBe('/outer');
    expect($('#inner-link').textContent).toBe('Inner');
    expect([slot('outer').hidden, slot('inner').hidden]).toEqual([true, false]);
  });
});

describe('render: late slots', () => {
  const late = (name = 'late') => {
    const section = document.createElement('section');
    section.setAttribute('data-p13n-offer', name);
    section.hidden = true;
    section.innerHTML = '<span data-p13n-attr="headline">Default</span><a data-p13n-attr-href="url" href="/default"></a>';
    return section;
  };
  const offers = { late: { attributes: { headline: 'Late sale', url: 'https://www.shop.test/late' } } };

  it('fills a slot added to the page after render', async () => {
    render(offers);
    document.body.append(late());
    await settle();
    expect(slot('late').hidden).toBe(false);
    expect(field('late', 'headline').textContent).toBe('Late sale');
    expect(slot('late').querySelector('a')!.getAttribute('href')).toBe('https://www.shop.test/late');
  });

  it('fills a slot nested inside an added section', async () => {
    render(offers);
    const wrapper = document.createElement('div');
    wrapper.innerHTML = '<div><main></main></div>';
    wrapper.querySelector('main')!.append(late());
    document.body.append(wrapper);
    await settle();
    expect(slot('late').hidden).toBe(false);
    expect(field('late', 'headline').textContent).toBe('Late sale');
  });

  it('hides a late slot whose offer did not come back', async () => {
    render(offers);
    const missing = late('missing');
    missing.hidden = false;
    document.body.append(missing);
    await settle();
    expect(slot('missing').hidden).toBe(true);
    expect(field('missing', 'headline').textContent).toBe('Default');
  });

  it('fills from the latest offers', async () => {
    render({ late: { attributes: { headline: 'First' } } });
    render(offers);
    document.body.append(late());
    await settle();
    expect(field('late', 'headline').textContent).toBe('Late sale');
  });

  it('fills a slot whose data-p13n-offer is changed, under its new name', async () => {
    render({ ...offers, other: { attributes: { headline: 'Other offer' } } });
    expect(field('other', 'headline').textContent).toBe('Other offer');
    slot('other').setAttribute('data-p13n-offer', 'late');
    await settle();
    expect(field('late', 'headline').textContent).toBe('Late sale');
    expect(slot('late').hidden).toBe(false);
  });

  it('renders once a slot added inside a section added in the same task', async () => {
    const seen = renders();
    render(offers);
    seen.length = 0;
    const section = document.createElement('div');
    document.body.append(section);
    section.append(late());
    await settle();
    expect(seen.map((event) => event.detail.name)).toEqual(['late']);
  });

  it('leaves alone a slot added and removed in the same task', async () => {
    const seen = renders();
    render(offers);
    seen.length = 0;
    const section = late();
    document.body.append(section);
    section.remove();
    await settle();
    expect(seen).toHaveLength(0);
    expect(section.hidden).toBe(true);
  });

  it('does not touch an element whose data-p13n-offer is removed', async () => {
    const seen = renders();
    render({ other: { attributes: { headline: 'Other offer' } } });
    seen.length = 0;
    const other = slot('other');
    other.removeAttribute('data-p13n-offer');
    await settle();
    expect(seen).toHaveLength(0);
    expect(other.hidden).toBe(false);
  });

  it('fills late slots only after the first render', async () => {
    const seen = renders();
    document.body.append(late());
    await settle();
    expect(seen).toHaveLength(0);
    expect(slot('late').hidden).toBe(true);
  });
});

describe('render: the p13n:render event', () => {
  it('fires on each slot, with its name, its offer and whether it was cached', () => {
    const seen = renders();
    const hero = { attributes: { headline: 'Spring sale' } };
    render({ hero });
    const targets = [slot('hero'), slot('other'), slot('toString')];
    expect(seen).toHaveLength(3);
    seen.forEach((event, i) => expect(event.target).toBe(targets[i]));
    expect(seen.map((event) => event.detail)).toEqual([
      { name: 'hero', offer: hero, cached: false },
      { name: 'other', offer: undefined, cached: false },
      { name: 'toString', offer: undefined, cached: false },
    ]);
    expect(seen[0].detail.offer).toBe(hero);
  });

  it('bubbles, and can be canceled', () => {
    const seen = renders();
    render({});
    expect(seen.every((event) => event.bubbles && event.cancelable)).toBe(true);
  });

  it('says cached: true for render(offers, true), also for a late slot', async () => {
    const seen = renders();
    render({ hero: {} }, true);
    expect(seen.map((event) => event.detail.cached)).toEqual([true, true, true]);
    render({ hero: {} });
    expect(seen.slice(3).map((event) => event.detail.cached)).toEqual([false, false, false]);
    render({ late: {} }, true);
    seen.length = 0;
    document.body.insertAdjacentHTML('beforeend', '<div data-p13n-offer="late" hidden></div>');
    await settle();
    expect(seen.map((event) => event.detail)).toEqual([{ name: 'late', offer: {}, cached: true }]);
  });

  it('leaves a slot untouched when a listener calls preventDefault(), and renders the others', () => {
    slot('hero').addEventListener('p13n:render', (event) => event.preventDefault());
    slot('other').hidden = true;
    render({ hero: { attributes: { headline: 'Spring sale', text: 'Now' } }, other: { attributes: { headline: 'Other' } } });
    expect(slot('hero').hidden).toBe(true);
    expect(field('hero', 'headline').textContent).toBe('Default');
    expect(field('hero', 'text').textContent).toBe('Default text');
    expect(slot('other').hidden).toBe(false);
    expect(field('other', 'headline').textContent).toBe('Other');
  });

  it('leaves a slot shown when its listener prevents the default, though its offer is missing', () => {
    slot('other').addEventListener('p13n:render', (event) => event.preventDefault());
    render({});
    expect(slot('other').hidden).toBe(false);
    expect(slot('hero').hidden).toBe(true);
  });

  it('renders the other slots when a listener throws', () => {
    // vitest runs happy-dom with disableErrorCapturing, so dispatchEvent would rethrow; a browser reports the error
    // (window 'error' event) and goes on: restore that for this test. happy-dom also prints the error to the console
    // it was created with, which no spy reaches, hence the short stack.
    const settings = (window as unknown as { happyDOM: { settings: { disableErrorCapturing: boolean } } }).happyDOM.settings;
    const broke = new Error('p13n test: a page listener broke, as this test wants');
    broke.stack = broke.message;
    const reported: unknown[] = [];
    const onError = (event: ErrorEvent) => {
      reported.push(event.error);
      event.preventDefault();
    };
    settings.disableErrorCapturing = false;
    addEventListener('error', onError);
    try {
      slot('hero').addEventListener('p13n:render', () => {
        throw broke;
      });
      render({ hero: { attributes: { headline: 'Spring sale' } }, other: { attributes: { headline: 'Other' } } });
    } finally {
      settings.disableErrorCapturing = true;
      removeEventListener('error', onError);
    }
    expect(reported).toEqual([broke]);
    expect(field('hero', 'headline').textContent).toBe('Spring sale');
    expect(field('other', 'headline').textContent).toBe('Other');
    expect(slot('toString').hidden).toBe(true);
  });
});
