// @vitest-environment node
// The emulator against the Personalization API contract: CORS, the checks in the API's order with its
// exact error bodies, both kinds of 200, and offers that follow the visitor's profile.
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { start, post, view, offerNames, KEY, TOKEN, ORIGIN, MEDIA_TYPE } from './test-helpers.mjs';

let server;
beforeAll(async () => { server = await start(); });
afterAll(() => server.close());
beforeEach(() => server.emulator.reset());

async function expectError(response, status, code, message) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/json');
  expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  expect(await response.json()).toEqual({ code, message });
}

describe('CORS', () => {
  it('answers a preflight with 204 and the explicit CORS headers, without asking for credentials', async () => {
    const response = await fetch(server.apiUrl + '/public/demo_db/pageviews', {
      method: 'OPTIONS',
      headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,wp13n-token,content-type' },
    });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    const h = Object.fromEntries(response.headers);
    expect(h['access-control-allow-origin']).toBe(ORIGIN);
    expect(h['vary']).toBe('Origin');
    expect(h['access-control-allow-methods']).toBe('POST, OPTIONS');
    expect(h['access-control-allow-headers']).toBe('Authorization, WP13n-Token, Content-Type, Accept');
    expect(h['access-control-max-age']).toBe('7200');
    expect(h['access-control-expose-headers']).toBe('Retry-After');
    expect(h['access-control-allow-credentials']).toBeUndefined();
  });

  it('puts CORS headers on errors too, the plain-text 401 included', async () => {
    const response = await post(server, {}, { headers: { Authorization: undefined } });
    expect(response.status).toBe(401);
    expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(response.headers.get('access-control-expose-headers')).toBe('Retry-After');
    expect(response.headers.get('vary')).toBe('Origin');
    expect(response.headers.has('access-control-allow-credentials')).toBe(false);
  });
});

describe('request checks, in the API order', () => {
  it('415 for a wrong Content-Type, checked before the credentials', async () => {
    const response = await post(server, {}, { headers: { 'Content-Type': 'application/json', Authorization: undefined } });
    await expectError(response, 415, 415, `Unsupported Media Type: Content-Type must be ${MEDIA_TYPE}`);
  });

  it('accepts the media type with a charset parameter', async () => {
    const response = await post(server, { td_client_id: 'c' }, { headers: { 'Content-Type': `${MEDIA_TYPE}; charset=UTF-8` } });
    expect(response.status).toBe(200);
  });

  it.each([
    ['missing', undefined],
    ['without TD1', KEY],
    ['with a short key', 'TD1 1/abc'],
    ['without an account', 'TD1 4d8a87c9b3e40e7380bf709c601f6f169a24a90d'],
  ])('401 with a non-JSON body when Authorization is %s', async (_, value) => {
    const response = await post(server, {}, { headers: { Authorization: value, 'WP13n-Token': undefined } });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toBe('Unauthorized');
  });

  it('3000 when WP13n-Token is missing', async () => {
    await expectError(await post(server, {}, { headers: { 'WP13n-Token': undefined } }), 400, 3000, 'RT token was not provided (WP13n-Token header).');
  });

  it.each(['abc', '1/2', '1/2/6b6ea5f8', 'x/2/6b6ea5f8df5845fa8e7962f9e1ba84a3'])('3003 for the malformed token %s', async (token) => {
    await expectError(await post(server, {}, { headers: { 'WP13n-Token': token } }), 400, 3003, 'RT token is in an invalid format.');
  });

  it('3001 for a well-formed token that is not configured', async () => {
    const response = await post(server, {}, { headers: { 'WP13n-Token': '1/2/00000000000000000000000000000000' } });
    await expectError(response, 400, 3001, 'RT token is not in configuration.');
  });

  it("3002 when the key's account is not the token's", async () => {
    const response = await post(server, {}, { headers: { Authorization: 'TD1 2/4d8a87c9b3e40e7380bf709c601f6f169a24a90d' } });
    await expectError(response, 400, 3002, 'RT token account conflicts with Authed user account.');
  });

  it.each(['[]', 'null', '42', '"text"', 'not json', ''])('3004 for the body %j', async (body) => {
    await expectError(await post(server, body), 400, 3004, 'Invalid event object.');
  });

  it.each(['/demo_db', '/DemoDb/pageviews', '/db/pageviews', '/demo_db/pageviews/x', '/private/demo_db/pageviews'])(
    '404 with a JSON body for the path %s',
    async (path) => {
      const response = await post(server, { td_client_id: 'c' }, { path });
      expect(response.status).toBe(404);
      expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      expect((await response.json()).code).toBe(404);
    },
  );
});

describe('success', () => {
  it('200 with offers in the response shape of the reference, as the requested media type', async () => {
    const response = await view(server, 'visitor-1', '/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(MEDIA_TYPE);
    const body = await response.json();
    expect(Object.keys(body)).toEqual(['offers']);
    expect(body.offers.welcome).toEqual({
      attributes: {
        headline: 'Welcome to Stride & Carry',
        text: '10% off your first order with code HELLO10.',
        cta: 'Shop shoes',
        href: '/category/shoes.html',
      },
      batch_segments: [{ id: '1001' }],
    });
  });

  it('answers application/json when the client does not ask for the vendor type', async () => {
    const response = await post(server, { td_client_id: 'v' }, { headers: { Accept: undefined } });
    expect(response.headers.get('content-type')).toBe('application/json');
  });

  it('200 with an empty body when no offer matches', async () => {
    await view(server, 'visitor-2', '/');
    const response = await view(server, 'visitor-2', '/about');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe('0');
    expect(response.headers.get('content-type')).toBeNull();
    expect(await response.text()).toBe('');
  });

  // the tag posts to /public (the browser path), the reference proxy to the path without it (the server path)
  it.each(['/public/demo_db/pageviews', '/demo_db/pageviews'])('serves %s, the browser and the server path alike', async (path) => {
    const response = await post(server, { td_client_id: 'p' + path.length }, { path });
    expect(response.status).toBe(200);
    expect(await offerNames(response)).toEqual(['welcome']);
    expect(server.emulator.log.at(-1)).toMatchObject({ method: 'POST', path, status: 200 });
  });
});

describe('offers follow the visitor', () => {
  it('changes offers as one visitor browses, adds to cart, buys and comes back', async () => {
    const id = 'journey';
    expect(await offerNames(await view(server, id, '/'))).toEqual(['home_banner', 'welcome']);
    const shoes = await (await view(server, id, '/category/shoes.html')).json();
    expect(Object.keys(shoes.offers)).toEqual(['category_pick']);
    expect(shoes.offers.category_pick.attributes.headline).toBe('Picked for you: Trail Runner 2');
    // The page attribute wins over the path, and the bags variant replaces the shoes one.
    const bags = await (await view(server, id, '/sale', { product_category: 'bags' })).json();
    expect(bags.offers.category_pick.batch_segments).toEqual([{ id: '1007' }]);

    const added = await (await post(server, { td_client_id: id, td_path: '/product/x.html', event: 'add_to_cart', quantity: 2 })).json();
    expect(added.offers.complete_order.attributes.text).toBe('2 item(s) saved for you. Free returns, as always.');
    expect(await offerNames(await view(server, id, '/cart.html'))).toEqual(['cart_modal', 'category_pick', 'free_shipping']);

    await post(server, { td_client_id: id, td_path: '/cart.html', event: 'purchase' });
    const after = await offerNames(await view(server, id, '/'));
    expect(after).toEqual(['category_pick', 'home_banner', 'loyalty', 'thanks_for_order']);
    expect(server.emulator.profile(id)).toMatchObject({ pageViews: 5, events: 7, cartItems: 0, purchases: 1, lastCategory: 'bags' });
  });

  it('keeps one profile per td_client_id', async () => {
    await view(server, 'a', '/');
    await view(server, 'a', '/category/shoes.html');
    expect(await offerNames(await view(server, 'b', '/'))).toEqual(['home_banner', 'welcome']);
  });
});
