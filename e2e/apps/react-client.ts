/**
 * The React example app's browser entry: hydrates the server HTML in #root with `hydrateRoot`. What the test reads
 * goes to `window.__log` ('hydrate' when hydration starts, 'hydrated' once it committed) and
 * `window.__recoverable` (every recoverable error: a hydration mismatch is one, #418 / #423 in production). With
 * `window.__waitForOffers`, it hydrates only once the tag's offers are in (a slow bundle, a fast answer), and in
 * the binding's store already: another root of the page (#probe) reads them first, so the hydration render finds
 * a store that is `ready`, and must render what the server did all the same. `window.__react` says which React
 * the bundle holds, so a test built for React 18 cannot pass on 19.
 */
import { createElement as h, useEffect, version } from 'react';
import { version as domVersion } from 'react-dom';
import { createRoot, hydrateRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { useOffers } from '../../src/bindings/react';
import { App } from './react-app';

type Page = {
  __log: string[];
  __recoverable: string[];
  __react: { react: string; reactDom: string };
  __waitForOffers?: boolean;
  p13n: (...args: unknown[]) => unknown;
};
const page = window as unknown as Page;
page.__log = page.__log || [];
page.__recoverable = [];
page.__react = { react: version, reactDom: domVersion };

const Root = () => {
  useEffect(() => void page.__log.push('hydrated'), []);
  return h(BrowserRouter, null, h(App));
};

function hydrate() {
  page.__log.push('hydrate');
  hydrateRoot(document.getElementById('root')!, h(Root), {
    onRecoverableError: (error) => void page.__recoverable.push(String((error as Error)?.message || error)),
  });
}

let started = false;
/** The offers' status, in a root of its own (client-rendered): hydrates #root once they are in. */
const Probe = () => {
  const { status } = useOffers();
  useEffect(() => {
    if (status != 'loading' && !started) {
      started = true;
      hydrate();
    }
  }, [status]);
  return h('span', null, status);
};

if (page.__waitForOffers) {
  const probe = document.body.appendChild(document.createElement('div'));
  probe.id = 'probe';
  createRoot(probe).render(h(Probe));
} else hydrate();
