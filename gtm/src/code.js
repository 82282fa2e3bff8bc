// The template's sandboxed code (GTM runs it with `require` and `data`; no window, no `new`, no `this`):
// gtm/build.mjs puts it into gtm/template.tpl, gtm/lint.mjs checks every API it requires against the permissions.
const createArgumentsQueue = require('createArgumentsQueue');
const injectScript = require('injectScript');
const isConsentGranted = require('isConsentGranted');
const addConsentListener = require('addConsentListener');
const makeTableMap = require('makeTableMap');
const logToConsole = require('logToConsole');

// the queue the short snippet installs: calls made before the bundle is in wait in p13n.q, in order
const p13n = createArgumentsQueue('p13n', 'p13n.q');

const config = { database: data.database, table: data.table, spa: data.spa === true, measure: data.measure === true };
if (data.connection === 'proxy') {
  config.endpoint = data.proxyPath;
} else {
  config.apiKey = data.apiKey;
  config.token = data.token;
  if (data.endpoint) config.endpoint = data.endpoint;
  else config.region = data.region;
}
if (data.attributes && data.attributes.length) config.attributes = makeTableMap(data.attributes, 'name', 'value');

// consent: GTM's consent state (Consent Mode; pending until granted, following each change), the page's IAB TCF
// CMP (the tag reads it), the page's own p13n('consent', ...) calls (pending until then), or none needed
const consentType = data.consentType || 'personalization_storage';
if (data.consentSource === 'tcf') config.consent = 'tcf';
else if (data.consentSource === 'page') config.consent = 'pending';
else if (data.consentSource !== 'none') {
  config.consent = isConsentGranted(consentType) ? 'granted' : 'pending';
  addConsentListener(consentType, (type, granted) => {
    p13n('consent', granted ? 'granted' : 'denied');
  });
}

p13n('init', config);
injectScript(
  data.bundleUrl,
  data.gtmOnSuccess,
  () => {
    logToConsole('p13n-tag: the bundle did not load from', data.bundleUrl);
    data.gtmOnFailure();
  },
  'p13n-tag',
);
