import { reason } from './config';
import { problem } from './errors';
import { merge, toJSON } from './payload';
import type { Attributes, P13nError } from './types';

/** Bytes an event may have: what one keepalive request can carry (64 KiB a page), less room for headers. */
export const MAX_EVENT_BYTES = 60 * 1024;

/**
 * One request's body, from its layers (later ones win), one of which has `uuid: id`: its uuid, and its JSON or why
 * there is none. A uuid of the page's own (an order id, say) is the event's idempotency key; anything else is
 * replaced by `id`.
 */
export function buildEvent(layers: (Attributes | null | undefined)[], id: string): [id: string, body: string | P13nError] {
  let body;
  try {
    const event = merge(layers);
    if (typeof event.uuid == 'string' && event.uuid) id = event.uuid;
    else event.uuid = id;
    body = toJSON(event);
  } catch (thrown) {
    body = problem('invalid_event', 'the event could not be built: ' + reason(thrown));
  }
  const size = typeof body == 'string' ? new TextEncoder().encode(body).length : 0;
  return [id, size > MAX_EVENT_BYTES ? problem('too_large', `the event is ${size} bytes of JSON; at most ${MAX_EVENT_BYTES} fit`) : body];
}
