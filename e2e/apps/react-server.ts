/**
 * The React example app rendered on the server, as a framework's server does: the HTML of `url`'s route. Built
 * for Node by the test (apps/bundle.ts) with the React under test inlined, so `versions` says which React
 * rendered.
 */
import { createElement as h, version } from 'react';
import { renderToString, version as serverVersion } from 'react-dom/server';
import { StaticRouter } from 'react-router';
import { App } from './react-app';

export const renderApp = (url: string) => renderToString(h(StaticRouter, { location: url }, h(App)));

export const versions = { react: version, reactDom: serverVersion };
