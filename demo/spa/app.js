// The single-page app around the tag: client-side routes, the cookie banner and a status line. No framework.
// Showing offers is the tag's job (the data-p13n-* slots in index.html): nothing here reads an offer's content.
(function () {
  'use strict';
  const CONSENT_KEY = 'spa_consent';
  const SITE = 'Stride & Carry';
  const root = document.documentElement;
  const view = document.getElementById('view');
  const banner = document.getElementById('consent-banner');
  const status = document.getElementById('status');

  const CATEGORIES = {
    shoes: { title: 'Shoes', text: 'Trail, road and everyday.', image: '/img/shoes.svg' },
    bags: { title: 'Bags', text: 'Totes, packs and weekenders.', image: '/img/bags.svg' },
  };
  const PRODUCTS = {
    'trail-runner': { name: 'Trail Runner 2', category: 'shoes', price: 120, text: 'A light trail shoe with a grippy sole and a roomy toe box.' },
    'city-sneaker': { name: 'City Sneaker', category: 'shoes', price: 90, text: 'Soft leather, a cushioned sole, and laces that stay tied.' },
    weekender: { name: 'Weekender tote', category: 'bags', price: 85, text: 'Water-resistant canvas with a padded laptop sleeve.' },
    daypack: { name: 'Daypack 20', category: 'bags', price: 70, text: 'Twenty litres, two bottle pockets and one quiet zip.' },
  };

  // Works before the tag has loaded too: the snippet's stub queues the call and returns nothing.
  const p13n = (...args) => Promise.resolve(window.p13n(...args));

  // ---- views: clones of the <template>s, filled with textContent and attributes, never with HTML ------------

  const clone = (id) => document.getElementById(id).content.cloneNode(true);
  const field = (node, name) => node.querySelector(`[data-field="${name}"]`);

  function home() {
    return { title: null, node: clone('view-home') };
  }

  function category(name) {
    const node = clone('view-category');
    field(node, 'title').textContent = CATEGORIES[name].title;
    field(node, 'text').textContent = CATEGORIES[name].text;
    for (const [id, product] of Object.entries(PRODUCTS)) {
      if (product.category !== name) continue;
      const card = clone('product-card');
      card.querySelector('img').src = CATEGORIES[name].image;
      field(card, 'name').textContent = product.name;
      field(card, 'name').href = '/spa/product/' + id;
      field(card, 'price').textContent = '$' + product.price;
      field(node, 'products').append(card);
    }
    return { title: CATEGORIES[name].title, node };
  }

  function product(id) {
    const item = Object.prototype.hasOwnProperty.call(PRODUCTS, id) && PRODUCTS[id];
    if (!item) return missing();
    const node = clone('view-product');
    field(node, 'category').textContent = '← ' + CATEGORIES[item.category].title;
    field(node, 'category').href = '/spa/' + item.category;
    field(node, 'name').textContent = item.name;
    field(node, 'text').textContent = item.text;
    field(node, 'price').textContent = '$' + item.price;
    node.querySelector('.pick img').src = CATEGORIES[item.category].image;
    return { title: item.name, node };
  }

  function missing() {
    return { title: 'Not found', node: clone('view-missing') };
  }

  const ROUTES = [
    [/^\/spa\/?$/, home],
    [/^\/spa\/(shoes|bags)$/, category],
    [/^\/spa\/product\/([\w-]+)$/, product],
  ];

  function route(pathname) {
    for (const [pattern, make] of ROUTES) {
      const match = pattern.exec(pathname);
      if (match) return make(...match.slice(1));
    }
    return missing();
  }

  let shown; // the path on screen: a #fragment change keeps it, and the view with it

  /** Puts the current URL's view in place. Called right after pushState, before the tag builds its page view. */
  function show() {
    const { title, node } = route(location.pathname);
    shown = location.pathname;
    // The tag sends this route's page view ~50 ms from now, with document.title as td_title: set it first.
    document.title = title ? `${title} · ${SITE}` : SITE;
    view.replaceChildren(node);
    document.querySelectorAll('header a').forEach((a) => {
      if (a.pathname === location.pathname) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
  }

  // ---- routing ----------------------------------------------------------------------------------------------

  function navigate(url) {
    // Where the visitor was, for the back button: a replaceState to the same URL, not a page view for the tag.
    history.replaceState({ scrollY }, '');
    history.pushState(null, '', url);
    show();
    scrollTo(0, 0);
    view.querySelector('h1').focus({ preventScroll: true }); // screen readers announce the new page
  }

  document.addEventListener('click', (event) => {
    // composedPath, not target.closest: a link inside an open shadow root (an in-browser message's) counts too, and
    // at the document the click's target is the shadow root's host
    const link = event.composedPath().find((node) => node instanceof HTMLAnchorElement && node.hasAttribute('href'));
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey ||
        event.altKey || link.target || link.hasAttribute('download')) return; // a new tab, a download: the browser's
    const url = new URL(link.href);
    // Other sites, the classic shop, and a #fragment on this very page are the browser's to follow.
    if (url.origin !== location.origin || !/^\/spa(\/|$)/.test(url.pathname)) return;
    if (url.hash && url.pathname === location.pathname && url.search === location.search) return;
    event.preventDefault();
    if (url.href !== location.href) navigate(url.href);
  });

  // Back and forward. The tag hears popstate too and sends the page view; a #fragment change is neither.
  history.scrollRestoration = 'manual';
  addEventListener('popstate', (event) => {
    if (location.pathname === shown) return;
    show();
    scrollTo(0, (event.state && event.state.scrollY) || 0);
  });

  // ---- consent ----------------------------------------------------------------------------------------------

  function choose(choice) {
    try {
      localStorage.setItem(CONSENT_KEY, choice); // index.html passes it to init on the next visits
    } catch {} // storage blocked: the banner asks again next time
    root.dataset.consent = navigator.globalPrivacyControl === true ? 'denied' : choice;
    banner.classList.remove('open');
    // The tag does the rest: on a yes it sends this route's page view (held, or refused earlier) and keeps the
    // hero hidden until its answer; on a no it takes down the offers it rendered and forgets the visitor.
    p13n('consent', choice).then(showStatus);
  }

  banner.addEventListener('click', (event) => {
    const button = event.target instanceof Element ? event.target.closest('[data-consent-choice]') : null;
    if (button) choose(button.dataset.consentChoice);
  });
  document.getElementById('privacy-settings').addEventListener('click', () => {
    banner.classList.add('open');
    banner.querySelector('button').focus();
  });

  // ---- status line: what the tag holds about this visitor ----------------------------------------------------

  async function showStatus() {
    const live = window.p13n && window.p13n.v; // the stub has no version: the tag is still loading
    const id = live ? await window.p13n('clientId') : undefined;
    status.textContent = `consent: ${root.dataset.consent}` +
      (navigator.globalPrivacyControl === true ? ' (Global Privacy Control)' : '') +
      ` · td_client_id: ${live ? id || 'none' : 'tag loading'}`;
  }
  document.addEventListener('p13n:ready', showStatus);
  document.addEventListener('p13n:offers', showStatus);
  addEventListener('load', showStatus);

  show();
  showStatus();
})();
