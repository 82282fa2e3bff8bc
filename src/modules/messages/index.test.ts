/**
 * The messages module's own logic, in happy-dom: reading TD's message JSON, where each message goes, once per
 * element, restoring, the modal's once-a-visit rule, the events and the errors. happy-dom has neither
 * `Element.setHTML` nor a DOM that DOMPurify sanitizes correctly, so the sanitizer here is a stand-in that parses
 * and keeps everything: what sanitizing removes is tested in the three browsers (e2e/messages.spec.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MessageKit } from '../../seam';
import type { Offers, P13nError } from '../../types';
import createMessages, { MAX_TARGETS, SHOWN_KEY } from './index';
import { readMessages } from './read';

const KEY = 'td_in_browser.message_json';
const parse = (html: string) => {
  const template = document.createElement('template');
  template.innerHTML = html; // happy-dom only: the stand-in for a sanitizer (see above)
  return template.content;
};

let errors: P13nError[];
let added: (records: MutationRecord[]) => void;
let loads: string[];
let events: { action: string; name: string; type: string; selector?: string; href?: string; target: EventTarget | null }[];
const record = (event: Event) => events.push({ ...(event as CustomEvent).detail, target: event.target });

function kit(purify: MessageKit['purify'] = async (hash) => (loads.push(hash), parse)): MessageKit {
  return { watch: (fn) => (added = fn), purify, report: (error) => errors.push(error) };
}
const offers = (messages: Record<string, object | string>, extra: Record<string, unknown> = {}): Offers =>
  Object.fromEntries(Object.entries(messages).map(([name, message]) => [name, { attributes: { [KEY]: typeof message == 'string' ? message : JSON.stringify(message), ...extra } }]));
const banner = (html = '<p class="new">New</p>', selector = '#hero') => ({ type: 'replacement', selector, content_html: html });
const modal = (html = '<h2>Hello</h2><p>Text</p>') => ({ type: 'modal', content_html: html });
const shown = (element: Element | null) => element && element.shadowRoot && element.shadowRoot.innerHTML;

beforeEach(() => {
  document.body.innerHTML = '<div id="hero"><p>Original</p></div>';
  errors = [];
  loads = [];
  events = [];
  sessionStorage.clear();
  document.addEventListener('p13n:message', record);
});
afterEach(() => {
  document.removeEventListener('p13n:message', record);
  document.querySelectorAll('p13n-modal').forEach((host) => host.remove());
  document.documentElement.style.overflow = '';
});

describe('reading message_json', () => {
  it('reads both types, in the answer order, and skips offers without a message', () => {
    const found = readMessages({ ...offers({ a: banner(), b: modal() }), plain: { attributes: { headline: 'x' } } }, () => {});
    expect(found.map(({ name, type, selector }) => [name, type, selector])).toEqual([['a', 'replacement', '#hero'], ['b', 'modal', undefined]]);
  });

  it("reads TD's escaping: doubled backslashes halved as td-js-sdk does, and JSON encoded twice", () => {
    // {"content_html": "<p class=\\"x\\">a</p>"}: not JSON as it is; halved, it is
    const doubled = JSON.stringify(banner('<p class="x">a</p>')).replace(/\\/g, '\\\\');
    const twice = JSON.stringify(JSON.stringify(modal()));
    const found = readMessages(offers({ doubled, twice }), () => {});
    expect(found[0].html).toBe('<p class="x">a</p>');
    expect(found[1].type).toBe('modal');
  });

  it('reports what cannot be shown, naming the offer, and reads the rest', () => {
    const why: string[] = [];
    const found = readMessages(
      offers({ text: 'not json', kind: { type: 'popup', content_html: 'x' }, html: { type: 'modal', content_html: 1 }, bad: banner('x', 'div[') , empty: banner('x', ' '), good: banner() }),
      (text) => why.push(text),
    );
    expect(found.map((message) => message.name)).toEqual(['good']);
    expect(why).toEqual([
      'message text: td_in_browser.message_json is not JSON',
      'message kind: type "popup" is neither "replacement" nor "modal"',
      'message html: content_html is not a string',
      'message bad: selector "div[" is not a CSS selector',
      'message empty: selector " " is not a CSS selector',
    ]);
  });

  it('never reads a polluted prototype, nor a message that is not a string', () => {
    (Object.prototype as Record<string, unknown>)[KEY] = JSON.stringify(modal());
    try {
      expect(readMessages({ a: { attributes: {} }, b: { attributes: { [KEY]: 42 } } } as Offers, () => {})).toEqual([]);
    } finally {
      delete (Object.prototype as Record<string, unknown>)[KEY];
    }
  });
});

describe('replacements', () => {
  it("fill every target's shadow root, keep its own children where they were, and announce show then shown", async () => {
    document.body.innerHTML = '<div class="t"><p>One</p></div><section class="t"><p>Two</p></section>';
    await createMessages(kit()).show(offers({ promo: banner('<style>.new{color:red}</style><p class="new" style="font-weight:bold">New</p>', '.t') }), true);
    const targets = document.querySelectorAll('.t');
    targets.forEach((target) => {
      expect(shown(target)).toBe('<p class="new" style="font-weight: bold;">New</p>');
      expect(target.innerHTML).toMatch(/^<p>(One|Two)<\/p>$/);
      expect(target.shadowRoot!.adoptedStyleSheets).toHaveLength(1);
    });
    expect(events.map(({ action, name, type, selector, target }) => [action, name, type, selector, target])).toEqual([
      ['show', 'promo', 'replacement', '.t', targets[0]],
      ['show', 'promo', 'replacement', '.t', targets[1]],
      ['shown', 'promo', 'replacement', '.t', targets[0]],
      ['shown', 'promo', 'replacement', '.t', targets[1]],
    ]);
    expect(loads).toHaveLength(1); // the sanitizer, once
  });

  it('hide a target the moment it is found: its shadow root is empty until the sanitizer is in', async () => {
    let arrive!: () => void;
    const messages = createMessages(kit(() => new Promise((resolve) => (arrive = () => resolve(parse)))));
    const showing = messages.show(offers({ promo: banner() }), true);
    expect(shown(document.querySelector('#hero'))).toBe('');
    arrive();
    await showing;
    expect(shown(document.querySelector('#hero'))).toBe('<p class="new">New</p>');
  });

  it('give an element that takes no shadow root a host in place of its children, and its children back on restore', async () => {
    // a web component with a shadow root of its own (a td, a li or an a take none either: e2e/messages.spec.ts)
    document.body.innerHTML = '<div id="cell"><b>Original</b></div>';
    const cell = document.querySelector('#cell')!;
    cell.attachShadow({ mode: 'closed' });
    const messages = createMessages(kit());
    await messages.show(offers({ promo: banner('<i>New</i>', '#cell') }), true);
    expect(cell.innerHTML).toBe('<p13n-message></p13n-message>');
    expect(shown(cell.firstElementChild)).toBe('<i>New</i>');
    await messages.show({}, true);
    expect(cell.innerHTML).toBe('<b>Original</b>');
  });

  it('fill late targets from the observer, once per element, whatever a framework does to their children', async () => {
    const messages = createMessages(kit());
    await messages.show(offers({ promo: banner('<i>New</i>', '.late') }), true);
    const section = document.createElement('section');
    section.innerHTML = '<div class="late">a</div><div class="late">b</div>';
    document.body.append(section);
    added([{ type: 'childList', addedNodes: [section] as unknown as NodeList } as MutationRecord]);
    // the same element seen again (a re-render of its children, a second record): left as it is
    const late = section.querySelector('.late')!;
    late.textContent = 'rendered again';
    added([{ type: 'childList', addedNodes: [late, section] as unknown as NodeList } as MutationRecord]);
    await Promise.resolve();
    await new Promise((resolve) => setTimeout(resolve));
    section.querySelectorAll('.late').forEach((target) => expect(shown(target)).toBe('<i>New</i>'));
    expect(events.filter((event) => event.action == 'shown')).toHaveLength(2);
  });

  it("never take the tag's own hosts for targets, whatever the selector", async () => {
    document.body.innerHTML = '<table><tr><td id="cell">a</td></tr></table>';
    const cell = document.querySelector('#cell')!;
    cell.attachShadow({ mode: 'open' }); // so the message goes into a <p13n-message> host
    const messages = createMessages(kit());
    await messages.show(offers({ promo: banner('<b>x</b>', 'td, td *') }), true);
    added([{ type: 'childList', addedNodes: cell.childNodes } as unknown as MutationRecord]);
    await new Promise((resolve) => setTimeout(resolve));
    expect(cell.innerHTML).toBe('<p13n-message></p13n-message>');
    expect(events.filter((event) => event.action == 'shown')).toHaveLength(1);
  });

  it(`fill at most ${MAX_TARGETS} targets a message per page view: a page adding matches without end costs bounded work`, async () => {
    document.body.innerHTML = '<i class="t"></i>'.repeat(MAX_TARGETS + 5);
    await createMessages(kit()).show(offers({ promo: banner('<b>x</b>', '.t') }), true);
    expect(Array.from(document.querySelectorAll('.t')).filter((target) => shown(target) == '<b>x</b>')).toHaveLength(MAX_TARGETS);
  });

  it('restore a target when a later page view no longer carries its message; personalize answers only add', async () => {
    const messages = createMessages(kit());
    const hero = document.querySelector('#hero')!;
    await messages.show(offers({ promo: banner() }), true);
    await messages.show({}, false); // a personalize answer without it: stays
    expect(shown(hero)).toBe('<p class="new">New</p>');
    await messages.show(offers({ promo: banner() }), true); // the same message again: nothing to do
    expect(events.filter((event) => event.action == 'show')).toHaveLength(1);
    await messages.show({}, true);
    expect(shown(hero)).toBe('<slot></slot>');
    expect(events[events.length - 1]).toMatchObject({ action: 'restored', name: 'promo', target: hero });
    await messages.show(offers({ promo: banner('<p>Back</p>') }), true); // and filled again
    expect(shown(hero)).toBe('<p>Back</p>');
  });

  it('leave a target to the page when its show event is cancelled', async () => {
    const hero = document.querySelector('#hero')!;
    hero.addEventListener('p13n:message', (event) => event.preventDefault());
    const messages = createMessages(kit());
    await messages.show(offers({ promo: banner() }), true);
    expect(hero.shadowRoot).toBeNull();
    // nor is it restored by a later page view: the tag did nothing there to undo
    await messages.show({}, true);
    expect(hero.shadowRoot).toBeNull();
    expect(events.map((event) => event.action)).toEqual(['show']);
  });

  it('announce a click on a link in the content, with its URL', async () => {
    await createMessages(kit()).show(offers({ promo: banner('<a href="https://www.shop.test/sale">Sale</a>') }), true);
    document.querySelector('#hero')!.shadowRoot!.querySelector('a')!.click();
    expect(events[events.length - 1]).toMatchObject({ action: 'click', name: 'promo', href: 'https://www.shop.test/sale' });
  });

  it('keep only web, mail and phone links, and data: for images', async () => {
    const html = '<a id="a" href="https://x.test/">a</a><a id="b" href="javascript:alert(1)">b</a><a id="c" href="mailto:a@x.test">c</a><a id="d" href="data:text/html,x">d</a><img id="e" src="data:image/png;base64,AA=="><img id="f" src="/rel.png">';
    await createMessages(kit()).show(offers({ promo: banner(html) }), true);
    const root = document.querySelector('#hero')!.shadowRoot!;
    const url = (id: string, name: string) => root.getElementById(id)!.getAttribute(name);
    expect([url('a', 'href'), url('b', 'href'), url('c', 'href'), url('d', 'href'), url('e', 'src'), url('f', 'src')]).toEqual([
      'https://x.test/', null, 'mailto:a@x.test', null, 'data:image/png;base64,AA==', '/rel.png',
    ]);
  });

  it('hold what any sanitizer left to the allow-list once more: a parser that keeps everything still lets nothing run', async () => {
    // the stand-in keeps everything, as a page's own setHTML shim might: what survives is the tag's decision
    const html = '<p onclick="x()" data-x="1">a<script>1</script><iframe src="https://x.test/"></iframe><form><input></form><svg><a href="https://x.test/">s</a></svg></p>';
    await createMessages(kit()).show(offers({ promo: banner(html) }), true);
    expect(shown(document.querySelector('#hero'))).toBe('<p>a</p>');
  });

  it('let a link open a tab of its own, never with window.opener, and never a frame of the page', async () => {
    const html = '<a id="a" href="https://x.test/" target="_blank" rel="opener">a</a><a id="b" href="https://x.test/" target="checkout">b</a>';
    await createMessages(kit()).show(offers({ promo: banner(html) }), true);
    const root = document.querySelector('#hero')!.shadowRoot!;
    expect([root.getElementById('a')!.getAttribute('rel'), root.getElementById('a')!.getAttribute('target')]).toEqual(['noopener noreferrer', '_blank']);
    expect(root.getElementById('b')!.hasAttribute('target')).toBe(false);
  });

  it("never a target: the tag's own hosts, the root element, what is in <head>", async () => {
    document.head.insertAdjacentHTML('beforeend', '<title>Page</title>');
    await createMessages(kit()).show(offers({ promo: banner('<b>x</b>', 'html, title, #hero') }), true);
    expect(document.documentElement.shadowRoot).toBeNull();
    expect(document.title).toBe('Page');
    expect(shown(document.querySelector('#hero'))).toBe('<b>x</b>');
  });

  it('give a custom element no shadow root (its upgrade would throw): its children make way for a host instead', async () => {
    document.body.innerHTML = '<hero-banner id="banner"><p>Original</p></hero-banner>';
    const messages = createMessages(kit());
    await messages.show(offers({ promo: banner('<i>New</i>', '#banner') }), true);
    const banner_ = document.querySelector('#banner')!;
    expect(banner_.shadowRoot).toBeNull();
    expect(shown(banner_.firstElementChild)).toBe('<i>New</i>');
    await messages.show({}, true);
    expect(banner_.innerHTML).toBe('<p>Original</p>');
  });

  it("keep one replacement per offer in force: a personalize answer's new version supersedes the last one", async () => {
    const messages = createMessages(kit());
    await messages.show(offers({ promo: banner('<b>1</b>', '.late') }), false);
    await messages.show(offers({ promo: banner('<b>2</b>', '.late') }), false);
    const late = document.createElement('div');
    late.className = 'late';
    document.body.append(late);
    added([{ type: 'childList', addedNodes: [late] as unknown as NodeList } as MutationRecord]);
    await new Promise((resolve) => setTimeout(resolve));
    expect(shown(late)).toBe('<b>2</b>');
    expect(events.filter((event) => event.action == 'show')).toHaveLength(1);
  });

  it('announce one click per click, however many messages the target has shown', async () => {
    const messages = createMessages(kit());
    for (const text of ['one', 'two', 'three']) await messages.show(offers({ promo: banner(`<a href="https://x.test/${text}">${text}</a>`) }), true);
    document.querySelector('#hero')!.shadowRoot!.querySelector('a')!.click();
    expect(events.filter((event) => event.action == 'click').map((event) => event.href)).toEqual(['https://x.test/three']);
  });

  it('report a sanitizer that did not load once, give every held target its content back, and try again later', async () => {
    let fail = true;
    let tries = 0;
    const messages = createMessages(kit(async () => (tries++, fail ? Promise.reject('the purify module did not load from x') : parse)));
    await messages.show(offers({ promo: banner() }), true);
    expect(shown(document.querySelector('#hero'))).toBe('<slot></slot>');
    expect(errors).toEqual([{ code: 'message', message: 'p13n: not shown: the purify module did not load from x; see https://www.npmjs.com/package/p13n-tag#errors' }]);
    // late targets do not load it again, each with an error of its own: the next answer does
    const late = document.createElement('div');
    late.className = 'late';
    document.body.append(late);
    await messages.show(offers({ late: banner('<b>x</b>', '.late') }), false);
    const loaded = tries;
    for (let i = 0; i < 3; i++) added([{ type: 'childList', addedNodes: [late.cloneNode()] as unknown as NodeList } as MutationRecord]);
    expect(errors).toHaveLength(2);
    fail = false;
    await messages.show(offers({ promo: banner() }), true);
    expect(shown(document.querySelector('#hero'))).toBe('<p class="new">New</p>');
    expect(tries).toBe(loaded + 1);
  });
});

describe('the modal', () => {
  const dialog = () => document.querySelector('p13n-modal')?.shadowRoot?.querySelector('dialog');

  it('opens labelled by its heading, with focus inside and the page scroll locked; closing gives both back', async () => {
    const button = document.createElement('button');
    document.body.append(button);
    button.focus();
    await createMessages(kit()).show(offers({ welcome: modal() }), true);
    expect(dialog()!.open).toBe(true);
    expect(dialog()!.getAttribute('aria-modal')).toBe('true');
    const heading = dialog()!.querySelector('h2')!;
    expect(dialog()!.getAttribute('aria-labelledby')).toBe(heading.id);
    expect(document.documentElement.style.overflow).toBe('hidden');
    expect(events.map((event) => event.action)).toEqual(['show', 'shown']);
    dialog()!.querySelector<HTMLButtonElement>('button.close')!.click();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(document.querySelector('p13n-modal')).toBeNull();
    expect(document.documentElement.style.overflow).toBe('');
    expect(document.activeElement).toBe(button);
    expect(events[events.length - 1]).toMatchObject({ action: 'closed', name: 'welcome', type: 'modal' });
  });

  it('is named by its text when it has no heading', async () => {
    await createMessages(kit()).show(offers({ welcome: modal('<p>  Free shipping today  </p>') }), true);
    expect(dialog()!.getAttribute('aria-label')).toBe('Free shipping today');
  });

  it('shows once a visit, unless the offer says p13n_modal_frequency: page', async () => {
    const messages = createMessages(kit());
    await messages.show(offers({ welcome: modal() }), true);
    dialog()!.close();
    await new Promise((resolve) => setTimeout(resolve, 10));
    // the next page of the visit: a new module, the same sessionStorage
    // its text changed (it follows the profile): still the same offer's modal
    await createMessages(kit()).show(offers({ welcome: modal('<h2>Hello again</h2>') }), true);
    expect(dialog()).toBeUndefined();
    expect(sessionStorage.getItem(SHOWN_KEY)!.split('\n')).toContain('welcome');
    await createMessages(kit()).show(offers({ welcome: modal() }, { p13n_modal_frequency: 'page' }), true);
    expect(dialog()!.open).toBe(true);
  });

  it("keeps its record readable beside a page's Array.prototype.toJSON (Prototype.js)", async () => {
    const toJSON = (Array.prototype as { toJSON?: unknown }).toJSON;
    (Array.prototype as { toJSON?: unknown }).toJSON = function (this: unknown[]) {
      return JSON.stringify(this.slice());
    };
    try {
      await createMessages(kit()).show(offers({ sale_2: modal() }), true);
      dialog()!.close();
      await new Promise((resolve) => setTimeout(resolve, 10));
      // 'sale' is not 'sale_2': a record read as text would say it was shown
      await createMessages(kit()).show(offers({ sale: modal() }), true);
      expect(dialog()!.open).toBe(true);
    } finally {
      (Array.prototype as { toJSON?: unknown }).toJSON = toJSON;
      if (!toJSON) delete (Array.prototype as { toJSON?: unknown }).toJSON;
    }
  });

  it('one at a time: a second modal waits for a later answer', async () => {
    const messages = createMessages(kit());
    await messages.show(offers({ one: modal('<h2>One</h2>'), two: modal('<h2>Two</h2>') }), true);
    expect(document.querySelectorAll('p13n-modal')).toHaveLength(1);
    dialog()!.close();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await messages.show(offers({ two: modal('<h2>Two</h2>') }), true);
    expect(dialog()!.querySelector('h2')!.textContent).toBe('Two');
  });
});

describe('consent denied (clear)', () => {
  it('restores every target, closes the modal and forgets the visit', async () => {
    const messages = createMessages(kit());
    await messages.show(offers({ promo: banner(), welcome: modal() }), true);
    messages.clear();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(shown(document.querySelector('#hero'))).toBe('<slot></slot>');
    expect(document.querySelector('p13n-modal')).toBeNull();
    expect(sessionStorage.getItem(SHOWN_KEY)).toBeNull();
  });

  it('a modal still waiting for the sanitizer never opens', async () => {
    let arrive!: () => void;
    const messages = createMessages(kit(() => new Promise((resolve) => (arrive = () => resolve(parse)))));
    const showing = messages.show(offers({ welcome: modal() }), true);
    messages.clear();
    arrive();
    await showing;
    expect(document.querySelector('p13n-modal')).toBeNull();
  });
});
