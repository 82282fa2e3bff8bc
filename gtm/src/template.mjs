// The template's sections other than its code (gtm/src/code.js), as data: gtm/build.mjs writes them into
// gtm/template.tpl in the format GTM's template editor exports, and gtm/lint.mjs reads the permissions.

export const info = {
  type: 'TAG',
  id: 'cvt_temp_public_id',
  version: 1,
  securityGroups: [],
  displayName: 'Treasure Data Personalization (p13n-tag)',
  categories: ['PERSONALIZATION', 'ANALYTICS'],
  brand: { id: 'brand_dummy', displayName: 'p13n-tag' },
  description:
    'Sends each page view to the Treasure Data Personalization API and hands the offers to the page (p13n-tag). Consent from GTM\'s consent state, an IAB TCF CMP, or the page.',
  containerContexts: ['WEB'],
};

/** GTM's consent types: the one the tag waits for is picked from these, and the permissions read all of them. */
export const CONSENT_TYPES = ['ad_storage', 'ad_user_data', 'ad_personalization', 'analytics_storage', 'functionality_storage', 'personalization_storage', 'security_storage'];
/** Where the bundle may be loaded from: jsDelivr's copy of the npm package; a site serving its own edits this. */
export const BUNDLE_URLS = ['https://cdn.jsdelivr.net/npm/p13n-tag@*'];
const REQUIRED = [{ type: 'NON_EMPTY' }];

export const parameters = [
  { type: 'TEXT', name: 'bundleUrl', displayName: 'Bundle URL (dist/p13n.min.js)', simpleValueType: true, valueValidators: [...REQUIRED, { type: 'REGEX', args: ['^https://.*'] }], defaultValue: 'https://cdn.jsdelivr.net/npm/p13n-tag@0.2.0/dist/p13n.min.js', help: 'Where the tag\'s core is served; its modules load from the same folder. Serving it elsewhere: add that URL to the template\'s "Injects scripts" permission.' },
  { type: 'TEXT', name: 'database', displayName: 'Database', simpleValueType: true, valueValidators: REQUIRED },
  { type: 'TEXT', name: 'table', displayName: 'Table', simpleValueType: true, valueValidators: REQUIRED },
  {
    type: 'RADIO', name: 'connection', displayName: 'Connection', defaultValue: 'direct', simpleValueType: true,
    radioItems: [
      { value: 'direct', displayValue: 'Direct to the regional API (key and token in the page)', subParams: [
        { type: 'SELECT', name: 'region', displayName: 'Region', defaultValue: 'us01', simpleValueType: true, selectItems: ['us01', 'eu01', 'ap01', 'ap03'].map((region) => ({ value: region, displayValue: region })) },
        { type: 'TEXT', name: 'endpoint', displayName: 'Endpoint (instead of the region, optional)', simpleValueType: true },
        { type: 'TEXT', name: 'apiKey', displayName: 'API key (write-only, for the Personalization API)', simpleValueType: true, valueValidators: REQUIRED },
        { type: 'TEXT', name: 'token', displayName: 'Personalization token', simpleValueType: true, valueValidators: REQUIRED },
      ] },
      { value: 'proxy', displayValue: 'Through the first-party proxy (no key in the page)', subParams: [
        { type: 'TEXT', name: 'proxyPath', displayName: 'Proxy path', defaultValue: '/p13n', simpleValueType: true, valueValidators: REQUIRED },
      ] },
    ],
  },
  {
    type: 'SIMPLE_TABLE', name: 'attributes', displayName: 'Attributes sent with every request', newRowButtonText: 'Add attribute',
    simpleTableColumns: [
      { defaultValue: '', displayName: 'Name', name: 'name', type: 'TEXT', isUnique: true, valueValidators: REQUIRED },
      { defaultValue: '', displayName: 'Value', name: 'value', type: 'TEXT' },
    ],
  },
  { type: 'CHECKBOX', name: 'spa', checkboxText: 'Single-page app: a page view for each route change', simpleValueType: true },
  { type: 'CHECKBOX', name: 'measure', checkboxText: 'Measure viewable impressions, clicks and dismissals of the offers', simpleValueType: true },
  {
    type: 'SELECT', name: 'consentSource', displayName: 'Consent', defaultValue: 'gtm', simpleValueType: true,
    selectItems: [
      { value: 'gtm', displayValue: 'GTM consent state (Consent Mode)' },
      { value: 'tcf', displayValue: 'IAB TCF CMP on the page (the tag reads it)' },
      { value: 'page', displayValue: 'The page calls p13n(\'consent\', ...) itself' },
      { value: 'none', displayValue: 'None needed' },
    ],
  },
  {
    type: 'SELECT', name: 'consentType', displayName: 'Consent type to wait for', defaultValue: 'personalization_storage', simpleValueType: true,
    selectItems: CONSENT_TYPES.map((type) => ({ value: type, displayValue: type })),
    enablingConditions: [{ paramName: 'consentSource', paramValue: 'gtm', type: 'EQUALS' }],
  },
];

/** GTM's encoding of permission values: 1 a string, 2 a list, 3 a map, 8 a boolean. */
const text = (string) => ({ type: 1, string });
const list = (items) => ({ type: 2, listItem: items });
const map = (entries) => ({ type: 3, mapKey: Object.keys(entries).map(text), mapValue: Object.values(entries).map((value) => (typeof value == 'boolean' ? { type: 8, boolean: value } : text(value))) });
const permission = (publicId, params) => ({
  instance: { key: { publicId, versionId: '1' }, param: Object.entries(params).map(([key, value]) => ({ key, value })) },
  clientAnnotations: { isEditedByUser: true },
  isRequired: true,
});

/** Exactly what the code uses (gtm/lint.mjs checks both ways). */
export const permissions = [
  permission('logging', { environments: text('debug') }),
  permission('access_globals', {
    keys: list([
      map({ key: 'p13n', read: true, write: true, execute: false }),
      map({ key: 'p13n.q', read: true, write: true, execute: false }),
    ]),
  }),
  permission('inject_script', { urls: list(BUNDLE_URLS.map(text)) }),
  permission('access_consent', { consentTypes: list(CONSENT_TYPES.map((consentType) => map({ consentType, read: true, write: false }))) }),
];

/** The ___TESTS___ section: scenarios GTM's template editor runs against the code, with its mocks. */
export const tests = `scenarios:
- name: Loads the bundle and calls init with the direct connection
  code: |-
    const mockData = {
      bundleUrl: 'https://cdn.jsdelivr.net/npm/p13n-tag@0.2.0/dist/p13n.min.js',
      database: 'shop_db', table: 'pageviews', connection: 'direct', region: 'eu01',
      apiKey: '1234/0123456789abcdef0123456789abcdef01234567', token: '1234/5/0123456789abcdef0123456789abcdef',
      consentSource: 'none'
    };
    let calls = [];
    mock('createArgumentsQueue', (fnKey, arrayKey) => (command, argument) => { calls.push([command, argument]); });
    mock('injectScript', (url, onSuccess) => { assertThat(url).isEqualTo(mockData.bundleUrl); onSuccess(); });
    runCode(mockData);
    assertApi('gtmOnSuccess').wasCalled();
    assertThat(calls[0][0]).isEqualTo('init');
    assertThat(calls[0][1].region).isEqualTo('eu01');
- name: Waits for GTM consent, then follows it
  code: |-
    const mockData = { bundleUrl: 'https://cdn.jsdelivr.net/npm/p13n-tag@0.2.0/dist/p13n.min.js', database: 'shop_db', table: 'pageviews', connection: 'proxy', proxyPath: '/p13n', consentSource: 'gtm', consentType: 'personalization_storage' };
    let calls = [];
    let listener;
    mock('createArgumentsQueue', (fnKey, arrayKey) => (command, argument) => { calls.push([command, argument]); });
    mock('isConsentGranted', (type) => false);
    mock('addConsentListener', (type, callback) => { listener = callback; });
    mock('injectScript', (url, onSuccess) => onSuccess());
    runCode(mockData);
    assertThat(calls[0][1].consent).isEqualTo('pending');
    assertThat(calls[0][1].endpoint).isEqualTo('/p13n');
    listener('personalization_storage', true);
    assertThat(calls[1][0]).isEqualTo('consent');
    assertThat(calls[1][1]).isEqualTo('granted');
- name: Reports a bundle that does not load
  code: |-
    mock('createArgumentsQueue', (fnKey, arrayKey) => (command, argument) => {});
    mock('injectScript', (url, onSuccess, onFailure) => onFailure());
    runCode({ bundleUrl: 'https://cdn.jsdelivr.net/npm/p13n-tag@0.2.0/dist/p13n.min.js', database: 'd', table: 't', connection: 'proxy', proxyPath: '/p13n', consentSource: 'page' });
    assertApi('gtmOnFailure').wasCalled();
`;

export const notes = 'Built by gtm/build.mjs from gtm/src/: edit those, not this file.';
