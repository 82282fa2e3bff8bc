/**
 * The measure module (`measure: true`, or a `holdout`): loaded by the first answer, it decides what the page is shown
 * of each answer (the control group nothing, an offer's own holdout and its frequency cap applied) and, when
 * measuring, records what the visitor could see of it: one `p13n_impression` per offer per page view once viewable
 * by the MRC/IAB rule (viewability.ts), batched; `p13n_click` for a link or button clicked in an offer, and
 * `p13n_dismiss` for a modal closed without one. Events go as `track` does. README, "Measurement".
 */
import type { Settings } from '../../core/config';
import type { MeasureKit } from '../../seam';
import type { MessageDetail, Offers } from '../../types';
import { createRecords, parseCap } from './records';
import { watchViewability } from './viewability';

/** Impressions that become viewable within this long of the first of a batch go in one event. */
export const BATCH_MS = 2000;

type Group = 'treated' | 'holdout';
/** Which answer put an offer on the page, and whether the visitor was shown it or held out. */
interface Placed {
  view: string;
  group: Group;
}
/** The places of an offer: a slot, an element the page marks, TD's content (a replacement's target, the modal). */
const PLACES = (name: string) => `[data-p13n-offer="${CSS.escape(name)}"],[data-p13n-measure="${CSS.escape(name)}"]`;
const MARKED = '[data-p13n-offer],[data-p13n-measure]';
const markOf = (element: Element) => element.getAttribute('data-p13n-measure') || element.getAttribute('data-p13n-offer');

export default function createMeasure(kit: MeasureKit, settings: Settings) {
  const measuring = settings.measure === true;
  const records = createRecords(settings);
  /** The offers of the latest answers, by name: which answer placed each, for whom. */
  let placed = new Map<string, Placed>();
  /** Offers held out of the latest answer: their places keep what the page shows by default. */
  let held = new Set<string>();
  /** `view name` of every impression recorded: once per offer per page view. */
  const counted = new Set<string>();
  /** Elements watched or viewed for the answer that placed them (`view`): a re-render of one answer counts once. */
  const seenFor = new WeakMap<Element, string>();
  /** The offer each element watched is a place of (TD's content is named by its events, not by the page's markup). */
  const names = new WeakMap<Element, string>();
  /** Impressions waiting for their batch, by `view group`. */
  let batches = new Map<string, string[]>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  /** The modal's offer between its `shown` and `closed`, and whether a click came. */
  let modal: { name: string; clicked: boolean } | undefined;

  const send = (event: string, names: string[], { view, group }: Placed) => {
    if (!stopped) kit.request({ event, p13n_offers: names, p13n_view: view, p13n_group: group }, true);
  };
  /** Every batch out now: its window ended, or the page is being left. */
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    batches.forEach((names, key) => {
      const [view, group] = key.split(' ');
      send('p13n_impression', names, { view, group: group as Group });
    });
    batches = new Map();
  };
  const impression = (name: string, at: Placed) => {
    const key = at.view + ' ' + name;
    if (counted.has(key) || stopped) return;
    counted.add(key);
    records.add([name], at.group == 'treated');
    const batch = at.view + ' ' + at.group;
    batches.set(batch, (batches.get(batch) || []).concat(name));
    timer = timer || setTimeout(flush, BATCH_MS);
  };

  const views = measuring
    ? watchViewability((element) => {
        const name = names.get(element);
        const at = name != null && placed.get(name);
        if (at && seenFor.get(element) == at.view) impression(name!, at);
      })
    : undefined;
  /** Watches `element` as a place of offer `name`, for the answer `at` placed it with. */
  const watch = (element: Element, name: string, at: Placed) => {
    if (!views || seenFor.get(element) == at.view || counted.has(at.view + ' ' + name)) return;
    seenFor.set(element, at.view);
    names.set(element, name);
    // a new answer's second starts from now
    views.forget(element);
    views.watch(element);
  };
  /** Watches every place of the offers placed: what has no box (a hidden slot, say) is simply never in view. */
  const scan = () => {
    if (!stopped) placed.forEach((at, name) => document.querySelectorAll(PLACES(name)).forEach((element) => watch(element, name, at)));
  };
  let scanning: ReturnType<typeof setTimeout> | undefined;
  const later = () => (scanning = scanning || setTimeout(() => ((scanning = undefined), scan())));

  /** The offer a click in the page's DOM landed in, when it landed on a link or button of it. */
  const clicked = (event: Event) => {
    const target = event.target as Element;
    const control = target && target.closest && target.closest('a[href],button,[role="button"],input[type="submit"]');
    const place = control && control.closest(MARKED);
    const name = place && markOf(place);
    const at = name != null && placed.get(name);
    if (at && at.group == 'treated' && !held.has(name!)) send('p13n_click', [name!], at);
  };
  /** TD's content tells of itself: the messages module's `p13n:message` events. */
  const message = (event: Event) => {
    const detail = (event as CustomEvent<MessageDetail>).detail;
    const at = detail && placed.get(detail.name);
    if (!at) return;
    if (detail.action == 'shown') {
      const host = event.target == document ? document.querySelector('p13n-modal') : (event.target as Element);
      const place = host && host.shadowRoot ? host.shadowRoot.querySelector('dialog') || host : host;
      if (detail.type == 'modal') modal = { name: detail.name, clicked: false };
      if (place) watch(place, detail.name, at);
    } else if (detail.action == 'click') {
      if (modal && detail.type == 'modal') modal.clicked = true;
      send('p13n_click', [detail.name], at);
    } else if (detail.action == 'closed' && modal && modal.name == detail.name) {
      if (!modal.clicked) send('p13n_dismiss', [detail.name], at);
      modal = undefined;
    }
  };
  /** A slot of an offer held out keeps what the page shows by default: its rendering is declined. */
  const render = (event: Event) => {
    const name = (event as CustomEvent<{ name: string }>).detail.name;
    if (held.has(name)) event.preventDefault();
  };
  const leaving = () => document.visibilityState == 'hidden' && flush();

  document.addEventListener('p13n:render', render, true);
  let marks: MutationObserver | undefined;
  if (measuring) {
    document.addEventListener('click', clicked, true);
    document.addEventListener('p13n:message', message);
    document.addEventListener('visibilitychange', leaving);
    addEventListener('pagehide', flush);
    // elements a framework renders after the answer (the bindings' <Offer>) or marks later
    marks = new MutationObserver(later);
    marks.observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-p13n-measure', 'data-p13n-offer', 'hidden'] });
  }

  return {
    /**
     * An answer's `offers` (the request's `uuid`; a page view's when `view`), before the page is shown them: what
     * the page is shown (nothing in the control group; an offer held out
     * by its `p13n_holdout`, or past its `p13n_cap`, taken out), and `true` when a holdout withheld offers.
     */
    answer(offers: Offers, uuid: string, view: boolean): [Offers, true?] {
      const visible: Offers = {};
      const now = new Map<string, Placed>();
      held = new Set();
      const id = kit.clientId();
      // the visitor's group, drawn as the core draws the p13n_group of its requests
      const control = !!settings.holdout && kit.fraction(id) < settings.holdout;
      for (const name of Object.keys(offers)) {
        const attributes = (offers[name] && offers[name].attributes) || {};
        const share = attributes.p13n_holdout;
        const cap = parseCap(attributes.p13n_cap);
        if (control || (typeof share == 'number' && kit.fraction(id + ' ' + name) < share)) held.add(name);
        else if (cap && measuring && records.count(name, cap[1]) >= cap[0]) continue; // past its cap: as if absent
        else visible[name] = offers[name];
        now.set(name, { view: uuid, group: held.has(name) ? 'holdout' : 'treated' });
      }
      // a page view starts again from its own offers; a personalize adds its own to what is on the page
      placed = view ? now : new Map([...placed, ...now]);
      later();
      return held.size ? [visible, true] : [visible];
    },
    /** Consent denied: nothing more is measured, and nothing of the visitor's impressions stays. */
    clear() {
      stopped = true;
      clearTimeout(timer);
      batches = new Map();
      placed = new Map();
      held = new Set();
      if (views) views.stop();
      if (marks) marks.disconnect();
      document.removeEventListener('p13n:render', render, true);
      document.removeEventListener('click', clicked, true);
      document.removeEventListener('p13n:message', message);
      document.removeEventListener('visibilitychange', leaving);
      removeEventListener('pagehide', flush);
      records.clear();
    },
  };
}
