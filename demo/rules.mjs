// Offer rules and visitor profiles: the emulator's stand-in for Audience Studio's entry criteria and
// the real-time profile the reactors keep. Documented in demo/README.md ("Rules").

const OPERATORS = {
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
  gt: (a, b) => typeof a === 'number' && a > b,
  gte: (a, b) => typeof a === 'number' && a >= b,
  lt: (a, b) => typeof a === 'number' && a < b,
  lte: (a, b) => typeof a === 'number' && a <= b,
  in: (a, list) => list.includes(a),
  prefix: (a, b) => typeof a === 'string' && a.startsWith(b),
  suffix: (a, b) => typeof a === 'string' && a.endsWith(b),
  contains: (a, b) => (Array.isArray(a) || typeof a === 'string') && a.includes(b),
  matches: (a, re) => typeof a === 'string' && re.test(a),
  exists: (a, want) => (a !== undefined && a !== null) === want,
};

/** The offer attribute Treasure Data's in-browser content (a "message") travels in: a string holding JSON. */
export const MESSAGE_KEY = 'td_in_browser.message_json';
const MESSAGE_KEYS = new Set(['type', 'selector', 'content_html']);

/** Event types that change the cart; everything without an `event` (or `pageview`) is a page view. */
const PAGEVIEW_EVENTS = new Set([undefined, null, '', 'pageview', 'page_view']);

export function newProfile() {
  return { pageViews: 0, events: 0, lastCategory: null, categoryViews: {}, cartItems: 0, purchases: 0 };
}

/** The category an event is about: its `product_category`, else `/category/{name}` in `td_path`. */
export function categoryOf(event) {
  if (typeof event.product_category === 'string' && event.product_category) return event.product_category;
  const match = /^\/category\/([^/.?#]+)/.exec(typeof event.td_path === 'string' ? event.td_path : '');
  return match ? match[1] : null;
}

/** Folds one event into a profile, as ingestion would before the rules are evaluated. */
export function updateProfile(profile, event) {
  profile.events += 1;
  const category = categoryOf(event);
  if (PAGEVIEW_EVENTS.has(event.event)) {
    profile.pageViews += 1;
    if (category) profile.categoryViews[category] = (profile.categoryViews[category] || 0) + 1;
  }
  if (category) profile.lastCategory = category;
  const quantity = Number.isInteger(event.quantity) && event.quantity > 0 ? event.quantity : 1;
  if (event.event === 'add_to_cart') profile.cartItems += quantity;
  if (event.event === 'remove_from_cart') profile.cartItems = Math.max(0, profile.cartItems - quantity);
  if (event.event === 'purchase') {
    profile.cartItems = 0;
    profile.purchases += 1;
  }
  return profile;
}

function lookup(scope, path) {
  let value = scope;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, key)) return undefined;
    value = value[key];
  }
  return value;
}

function isCondition(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks a `when` object up front, so a typo in rules.json stops the server at start instead of
 * silently never matching. Returns a compiled tree that `matches` walks.
 */
function compileWhen(when, where) {
  if (!isCondition(when)) throw new Error(`${where}: "when" must be an object`);
  return Object.entries(when).map(([key, expected]) => {
    if (key === 'any' || key === 'not') {
      const list = key === 'any' ? expected : [expected];
      if (!Array.isArray(list) || list.length === 0) throw new Error(`${where}: "any" must be a non-empty array`);
      return { key, parts: list.map((w, i) => compileWhen(w, `${where}.${key}[${i}]`)) };
    }
    const [scope, ...path] = key.split('.');
    if ((scope !== 'attr' && scope !== 'profile') || path.length === 0) {
      throw new Error(`${where}: "${key}" must start with "attr." or "profile."`);
    }
    const ops = isCondition(expected) ? expected : { [Array.isArray(expected) ? 'in' : 'eq']: expected };
    const tests = Object.entries(ops).map(([op, arg]) => {
      if (!OPERATORS[op]) throw new Error(`${where}: unknown operator "${op}" in "${key}"`);
      if (op === 'in' && !Array.isArray(arg)) throw new Error(`${where}: "in" needs an array in "${key}"`);
      return { op, arg: op === 'matches' ? new RegExp(arg) : arg };
    });
    return { key, scope, path, tests };
  });
}

function matches(compiled, scopes) {
  return compiled.every((part) => {
    if (part.key === 'any') return part.parts.some((p) => matches(p, scopes));
    if (part.key === 'not') return !matches(part.parts[0], scopes);
    const actual = lookup(scopes[part.scope], part.path);
    return part.tests.every(({ op, arg }) =>
      // A plain value against an array attribute (product_list) means "contains", as a marketer expects.
      op === 'eq' && Array.isArray(actual) ? actual.includes(arg) : OPERATORS[op](actual, arg),
    );
  });
}

/**
 * A rule's `message`: `{ type: "replacement", selector, content_html }` or `{ type: "modal", content_html }`, as
 * TD's content editor makes it, written as an object rather than as JSON inside a JSON string. `content_html` may
 * be a list of lines (joined with newlines), so the HTML stays readable in rules.json.
 */
function compileMessage(message, where) {
  if (!isCondition(message)) throw new Error(`${where}: "message" must be an object`);
  for (const key of Object.keys(message)) {
    if (!MESSAGE_KEYS.has(key)) throw new Error(`${where}: unknown key "${key}" in "message" (type, selector, content_html)`);
  }
  const { type, selector, content_html: html } = message;
  if (type !== 'replacement' && type !== 'modal') throw new Error(`${where}: "message.type" must be "replacement" or "modal"`);
  if (type === 'replacement' && (typeof selector !== 'string' || !selector.trim())) {
    throw new Error(`${where}: a replacement needs "message.selector", the CSS selector of the element it replaces`);
  }
  if (type === 'modal' && selector !== undefined) throw new Error(`${where}: a modal has no "message.selector"`);
  const lines = typeof html === 'string' ? [html] : html;
  if (!Array.isArray(lines) || !lines.every((line) => typeof line === 'string')) {
    throw new Error(`${where}: "message.content_html" must be a string or a list of strings`);
  }
  return { type, selector, html: lines.join('\n') };
}

/** Validates and compiles the `rules` array of a settings file. Throws with the rule's index. */
export function compileRules(rules = []) {
  if (!Array.isArray(rules)) throw new Error('rules must be an array');
  return rules.map((rule, i) => {
    const where = `rules[${i}]`;
    if (!isCondition(rule)) throw new Error(`${where} must be an object`);
    if (typeof rule.offer !== 'string' || !rule.offer) throw new Error(`${where}: "offer" must be a name`);
    if (rule.attributes !== undefined && !isCondition(rule.attributes)) throw new Error(`${where}: "attributes" must be an object`);
    if (rule.segments !== undefined && !Array.isArray(rule.segments)) throw new Error(`${where}: "segments" must be an array`);
    if (rule.message !== undefined && rule.attributes && Object.prototype.hasOwnProperty.call(rule.attributes, MESSAGE_KEY)) {
      throw new Error(`${where}: "message" and attributes["${MESSAGE_KEY}"] say the same thing: keep one`);
    }
    return {
      offer: rule.offer,
      when: compileWhen(rule.when || {}, where),
      attributes: rule.attributes || {},
      message: rule.message === undefined ? undefined : compileMessage(rule.message, where),
      segments: (rule.segments || []).map(String),
    };
  });
}

const HTML_ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text) => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);

/**
 * `{{profile.cartItems}}` / `{{attr.product_name}}` inside offer texts, so an offer can say "2 items". `escape`
 * is applied to each value put in: a message's HTML gets it HTML-escaped, since `attr.*` is whatever the page sent.
 */
function fill(value, scopes, escape = String) {
  if (typeof value !== 'string') return value;
  return value.replace(/\{\{\s*(attr|profile)\.([\w.]+)\s*\}\}/g, (_, scope, path) => {
    const found = lookup(scopes[scope], path.split('.'));
    return found === undefined || found === null ? '' : escape(String(found));
  });
}

/** A rule's message, filled, as the JSON string the API sends: JSON.stringify escapes what the HTML holds. */
function messageJson(message, scopes) {
  const { type, selector, html } = message;
  const content_html = fill(html, scopes, escapeHtml);
  return JSON.stringify(type === 'replacement' ? { type, selector, content_html } : { type, content_html });
}

/**
 * All offers whose criteria match, in the API's response shape. The first matching rule of an offer
 * name wins, so a rules file can list a specific variant before a general one.
 */
export function evaluate(compiledRules, event, profile) {
  const scopes = { attr: event, profile };
  const offers = {};
  for (const rule of compiledRules) {
    if (offers[rule.offer] || !matches(rule.when, scopes)) continue;
    const attributes = Object.fromEntries(Object.entries(rule.attributes).map(([k, v]) => [k, fill(v, scopes)]));
    if (rule.message) attributes[MESSAGE_KEY] = messageJson(rule.message, scopes);
    offers[rule.offer] = { attributes, batch_segments: rule.segments.map((id) => ({ id })) };
  }
  return offers;
}
