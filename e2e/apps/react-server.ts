/** The React example app rendered on the server, as a framework's server does: the HTML of `url`'s route. */
import { createElement as h } from 'react';
import { renderToString } from 'react-dom/server';
import { StaticRouter } from 'react-router';
import { App } from './react-app';

export const renderApp = (url: string) => renderToString(h(StaticRouter, { location: url }, h(App)));
