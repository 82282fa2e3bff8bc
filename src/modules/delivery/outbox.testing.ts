import { ofOutbox, recordKey, type Entry } from '../../seam';

/**
 * The outbox as the unit tests' storage holds it for `key`: the records (`key#id`, one per event, as the core and
 * the delivery module write them), oldest first, then a list an earlier version left under `key`. Shared by the
 * tests that read or seed what earlier pages left. Not part of the tag: nothing outside the tests imports it.
 */
export function storedEvents(key: string): Entry[] {
  const records: Entry[] = Object.keys(localStorage)
    .filter((name) => name != key && ofOutbox(key, name))
    .map((name) => JSON.parse(localStorage.getItem(name)!));
  // stable: the core's records carry no `at`, and keep the order they were written in
  records.sort((a, b) => (a.at || 0) - (b.at || 0));
  return records.concat(JSON.parse(localStorage.getItem(key) || '[]'));
}

/** Stores `entries` as records under `key`, as an earlier page would have left them. */
export function storeEvents(key: string, entries: Entry[]) {
  for (const entry of entries) localStorage.setItem(recordKey(key, entry.id), JSON.stringify(entry));
}
