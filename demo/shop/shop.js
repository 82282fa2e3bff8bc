// Demo-shop glue: the cart (kept in localStorage), the shop's buttons, and a panel that shows what
// the tag reported and what the emulator received and answered. A real site needs none of this: the tag
// renders the [data-p13n-offer] slots by itself, their text, links and images included.
(function () {
  'use strict';
  // The emulator: same server, host name `localhost`, so a different origin from this page.
  const API = 'http://localhost:' + location.port;
  const CART_KEY = 'shop_cart';
  const items = [];
  let list, tagState;

  const PROXY_MODE = localStorage.getItem('p13n_demo_mode') === 'proxy';

  /** How pages reach the API: direct, with the credentials in the page, or through this site's /p13n proxy. */
  window.shopConnection = () => PROXY_MODE
    ? { endpoint: '/p13n' }
    : {
        apiKey: '1/4d8a87c9b3e40e7380bf709c601f6f169a24a90d',
        token: '1/2/6b6ea5f8df5845fa8e7962f9e1ba84a3',
        endpoint: API + '/public',
      };

  const HOLDOUT = localStorage.getItem('p13n_demo_holdout') === 'on';
  /** Measurement always; a control group of half the visitors when the panel's switch is on. */
  window.shopMeasurement = () => ({ measure: true, holdout: HOLDOUT ? 0.5 : 0 });

  // Works before the tag has loaded too: the snippet's stub queues the call and returns nothing.
  const p13n = (...args) => Promise.resolve(window.p13n && window.p13n(...args));

  function el(tag, props, ...children) {
    const node = Object.assign(document.createElement(tag), props);
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  }

  function details(summary, value) {
    const text = typeof value === 'string' ? value || '(empty)' : JSON.stringify(value, null, 2);
    return el('details', {}, el('summary', { textContent: summary }), el('pre', { textContent: text }));
  }

  // ---- the panel -------------------------------------------------------------------------------

  function draw(item) {
    const ex = item.exchange;
    item.node.replaceChildren(...[
      el('div', {}, el('time', { textContent: item.time }), ' ', el('b', { textContent: item.kind }), ' ' + item.summary),
      ex && ex.error ? el('div', { className: 'ex', textContent: ex.error }) : null,
      ex && ex.entry
        ? el('div', {
            className: 'ex',
            textContent: `emulator got ${ex.entry.method} ${ex.entry.path} → ${ex.entry.status ?? 'no answer'}` +
              ` · ${ex.attempts} attempt(s) · ${ex.preflights} preflight(s) so far`,
          })
        : null,
      ex && ex.entry ? details('request body', ex.entry.body) : null,
      ex && ex.entry ? details('response', ex.entry.response) : null,
    ].filter(Boolean));
  }

  async function note(kind, summary, uuid) {
    const item = { time: new Date().toLocaleTimeString(), kind, summary, node: el('li', { className: 'kind-' + kind }) };
    items.unshift(item);
    if (list) list.prepend(item.node);
    while (items.length > 8) items.pop().node.remove();
    draw(item);
    if (kind === 'ready' || kind === 'message') return; // nothing the emulator saw
    try {
      const log = await (await fetch(API + '/_emulator/log', { cache: 'no-store' })).json();
      const posts = log.filter((e) => e.method === 'POST');
      const mine = posts.filter((e) => uuid && e.body && e.body.uuid === uuid);
      item.exchange = {
        entry: mine[mine.length - 1] || posts[posts.length - 1],
        attempts: mine.length || 1,
        preflights: log.filter((e) => e.method === 'OPTIONS').length,
      };
    } catch (error) {
      item.exchange = { error: 'emulator log not readable: ' + error.message };
    }
    draw(item);
  }

  function buildPanel() {
    const button = (label, onclick) => el('button', { type: 'button', textContent: label, onclick });
    list = el('ol');
    tagState = el('p', { className: 'state', textContent: 'tag: loading /dist/p13n.min.js …' });
    document.body.append(
      el('aside', { id: 'p13n-panel' },
        el('h2', { textContent: 'p13n demo panel' }),
        el('div', { className: 'actions' },
          button('Refresh offers', () => p13n('personalize', { event: 'refresh' })),
          button('Fail next 2 calls (503)', failTwice),
          button('New visitor', newVisitor),
          button(PROXY_MODE ? 'Use direct mode' : 'Use proxy mode', () => {
            localStorage.setItem('p13n_demo_mode', PROXY_MODE ? 'direct' : 'proxy');
            location.reload();
          }),
          button(HOLDOUT ? 'Holdout off' : 'Holdout 50%', () => {
            localStorage.setItem('p13n_demo_holdout', HOLDOUT ? 'off' : 'on');
            location.reload();
          }),
          el('a', { href: '/report.html', textContent: 'Report' }),
        ),
        tagState,
        list,
      ),
    );
    items.slice().reverse().forEach((item) => list.prepend(item.node));
  }

  // The tag retries a 503 twice, so this refresh still succeeds, on its third attempt.
  async function failTwice() {
    await fetch(API + '/_emulator/faults', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ status: 503, message: 'Injected by the demo panel', times: 2 }),
    });
    p13n('personalize', { event: 'refresh' });
  }

  async function newVisitor() {
    await fetch(API + '/_emulator/log', { method: 'DELETE' }).catch(() => {});
    localStorage.removeItem(CART_KEY);
    // the modals this tab has shown (once a visit): the tag's `reset` keeps that record, and a new visitor should see them
    sessionStorage.removeItem('p13n:modals');
    await p13n('reset');
    location.reload();
  }

  // ---- what the tag did, for the panel: the tag renders the slots itself (data-p13n-attr, -href, -src) ----

  document.addEventListener('p13n:ready', (e) => note('ready', 'client id ' + e.detail.clientId));
  document.addEventListener('p13n:offers', (e) => {
    const { offers, names, uuid, status } = e.detail;
    note('offers', `${names.length ? names.join(', ') : '(none)'} · HTTP ${status}` + (e.detail.cached ? ' · from the cache' : ''), uuid);
  });
  // In-browser content (rules with a "message"): a replacement shown in its target, a modal opened or closed.
  document.addEventListener('p13n:message', (e) => {
    const { action, name, type, selector, href } = e.detail;
    note('message', `${action} · ${name} (${type}${selector ? ' ' + selector : ''})${href ? ' → ' + href : ''}`);
  });
  // Measurement events are the tag's own requests (as track's): the panel finds them in the emulator's log.
  const measured = new Set();
  async function watchMeasurement() {
    try {
      const log = await (await fetch(API + '/_emulator/log', { cache: 'no-store' })).json();
      for (const entry of log) {
        const body = entry.method === 'POST' && entry.body;
        // this page's, and those the page before it sent as it was left (a click that navigated here)
        if (!body || !/^p13n_/.test(body.event) || measured.has(body.uuid) || entry.t < performance.timeOrigin - 5000) continue;
        measured.add(body.uuid);
        note('measure', `${body.event.slice(5)} · ${body.p13n_offers.join(', ')} · ${body.p13n_group}`, body.uuid);
      }
    } catch {} // the emulator is the demo's own: should it be gone, the panel shows the rest
  }
  setInterval(watchMeasurement, 1000);
  document.addEventListener('p13n:offers', (e) => {
    if (e.detail.holdout) note('offers', 'held out: this visitor is in the control group, shown no offer');
  });

  document.addEventListener('p13n:error', (e) => {
    const { error, uuid } = e.detail;
    note('error', `${error.code}${error.status ? ' · HTTP ' + error.status : ''} · ${error.message || ''}`, uuid);
  });

  // ---- the cart ----------------------------------------------------------------------------------

  function cart() {
    try {
      return JSON.parse(localStorage.getItem(CART_KEY)) || [];
    } catch {
      return [];
    }
  }

  function saveCart(entries) {
    localStorage.setItem(CART_KEY, JSON.stringify(entries));
    showCart();
  }

  function showCart() {
    const entries = cart();
    document.querySelectorAll('[data-cart-count]').forEach((n) => { n.textContent = String(entries.length); });
    const target = document.querySelector('[data-cart-list]');
    if (!target) return;
    const total = entries.reduce((sum, item) => sum + item.price, 0);
    target.replaceChildren(...entries.map((item) => el('li', { textContent: `${item.name} · $${item.price}` })));
    if (!entries.length) target.append(el('li', { className: 'muted', textContent: 'Your cart is empty.' }));
    document.querySelectorAll('[data-cart-total]').forEach((n) => { n.textContent = '$' + total; });
    document.querySelectorAll('[data-place-order]').forEach((b) => { b.disabled = !entries.length; });
  }

  function addToCart(button) {
    const item = {
      id: button.dataset.addToCart,
      name: button.dataset.name,
      price: Number(button.dataset.price),
      category: button.dataset.category,
    };
    saveCart(cart().concat(item));
    button.textContent = 'Added ✓';
    // The event is delivered first, then offers are asked for again: the profile now has the item.
    p13n('track', { event: 'add_to_cart', product_id: item.id, product_name: item.name, product_category: item.category, price: item.price, quantity: 1 })
      .then(() => p13n('personalize', { event: 'cart_refresh' }));
  }

  function placeOrder() {
    const entries = cart();
    saveCart([]);
    p13n('track', { event: 'purchase', product_ids: entries.map((i) => i.id), revenue: entries.reduce((s, i) => s + i.price, 0) })
      .then(() => p13n('personalize', { event: 'cart_refresh' }));
  }

  document.addEventListener('click', (e) => {
    const target = e.target instanceof Element ? e.target : null;
    const add = target && target.closest('[data-add-to-cart]');
    if (add) addToCart(add);
    if (target && target.closest('[data-place-order]')) placeOrder();
  });

  document.addEventListener('DOMContentLoaded', () => {
    buildPanel();
    showCart();
  });
  window.addEventListener('load', () => {
    tagState.textContent = window.p13n && window.p13n.v
      ? `tag p13n ${window.p13n.v} loaded · ${PROXY_MODE ? 'proxy mode: /p13n on this site, no key in the page' : 'direct mode: API ' + API}`
      : 'tag not loaded: /dist/p13n.min.js is missing or failed (run `npm run build`)';
  });
})();
