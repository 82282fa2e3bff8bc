import { isString, reason } from './config';
import { problem } from './errors';
import { merge, toJSON } from './payload';
import type { Attributes, P13nError } from '../types';

/** Bytes an event may have: what one keepalive request can carry (64 KiB a page), less room for headers. */
export const MAX_EVENT_BYTES = 60 * 1024;

/** A v4 UUID from `crypto.getRandomValues`: plain-http pages have no `crypto.randomUUID`. */
export const uuid = (): string =>
  '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) =>
    (+c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (+c / 4)))).toString(16));

/**
 * One request's body: the visitor, the page as it was, the moment, a fresh uuid, then `layers` (the config's
 * attributes, the page's; later ones win). Returns its uuid and its JSON, or why there is none. A uuid of the
 * page's own (an order id, say) is the event's idempotency key. The core and the early snippet both build their
 * page views here, so the snippet sends the very body the core would.
 */
export function buildEvent(clientId: string, context: Attributes, time: number, layers: (Attributes | null | undefined)[]): [id: string, body: string | P13nError] {
  let id = uuid();
  let body;
  try {
    const event = merge([{ td_client_id: clientId }, context, { time: Math.floor(time / 1000), uuid: id }, ...layers]);
    if (isString(event.uuid) && event.uuid) id = event.uuid;
    else event.uuid = id;
    body = toJSON(event);
  } catch (thrown) {
    body = problem('invalid_event', 'the event could not be built: ' + reason(thrown));
  }
  const size = isString(body) ? new TextEncoder().encode(body).length : 0;
  return [id, size > MAX_EVENT_BYTES ? problem('too_large', `the event is ${size} bytes of JSON; at most ${MAX_EVENT_BYTES} fit`) : body];
}
