/**
 * The React example app of e2e/react.spec.ts, as a storefront writes it with p13n-tag/react: two routes of React
 * Router, each with an `<Offer>` and a fallback. The server renders it (react-server.ts), the browser hydrates it
 * (react-client.ts). No JSX: the repository has no JSX build.
 */
import { createElement as h } from 'react';
import { Link, Route, Routes } from 'react-router';
import { Offer } from '../../src/bindings/react';

/** The offer `name` as a headline, or the default one the server rendered. */
const Banner = ({ name }: { name: string }) =>
  h(Offer, {
    name,
    fallback: h('p', { id: 'offer', 'data-state': 'fallback' }, 'Default offer'),
    children: (offer) => h('p', { id: 'offer', 'data-state': 'offer' }, String(offer.attributes?.headline)),
  });

const Home = () => h('main', null, h('h1', null, 'Home'), h(Banner, { name: 'react_home' }), h(Link, { to: '/react/shoes', id: 'to-shoes' }, 'Shoes'));
const Shoes = () => h('main', null, h('h1', null, 'Shoes'), h(Banner, { name: 'react_shoes' }), h(Link, { to: '/react', id: 'to-home' }, 'Home'));
/** A page that does break hydration, as the tag writing into unhydrated markup does: the harness must see it. */
const Broken = () => h('main', null, h('h1', null, 'Broken'), h('p', { id: 'offer' }, typeof window == 'undefined' ? 'Server text' : 'Client text'));

export const App = () =>
  h(
    Routes,
    null,
    h(Route, { path: '/react', element: h(Home) }),
    h(Route, { path: '/react/shoes', element: h(Shoes) }),
    h(Route, { path: '/react/broken', element: h(Broken) }),
  );
