import type { Settings } from './config';
import { problem } from './errors';
import { load } from './load';
import { toJSON } from './payload';
import type { Prehide } from './prehide';
import { createRenderer } from './render';
import { MESSAGE_KEY, type Modules } from '../seam';
import type { Offers, P13nError } from '../types';

/**
 * Puts an answer's offers on the page: the slots, then TD's in-browser content, shown by the messages module that
 * the first answer carrying a message loads; what pre-hiding hid shows once both are in.
 */
export function createPresenter(settings: Settings, prehide: Prehide, report: (error: P13nError) => void) {
  const renderer = createRenderer();
  let messages: Promise<ReturnType<Modules['messages']> | void> | undefined; // the messages module loading, or in

  /**
   * TD's in-browser content of `offers` (a page view's when `isView`). Every answer goes to the module once it
   * is in, so a route without the message restores what it replaced. Settles once shown; undefined when there is
   * nothing to show.
   */
  function showMessages(offers: Offers, isView: boolean) {
    // written by the tag's own JSON writer, which no Array.prototype.toJSON of the page's bends or breaks; a value
    // that merely mentions the key loads the module for nothing, harmlessly: this check is every page's to pay
    if (settings.messages === false || !(messages || ('' + toJSON(offers)).indexOf(MESSAGE_KEY) >= 0)) return;
    messages =
      messages ||
      load('messages', settings.nonce).then(
        (create) => create({ watch: renderer._watch, purify: (hash) => load('purify', settings.nonce, hash), report }),
        // as with spa, tried again by the next page
        (why) => report(problem('module', why)),
      );
    return messages.then((module) => module && module.show(offers, isView));
  }

  return {
    /**
     * Renders `offers`. The messages' targets stay hidden until they are filled (`prehideTimeout` still bounding
     * it), and then show unless `latest()` says a newer page view has hidden them again meanwhile.
     */
    _present(offers: Offers, isView: boolean, latest: () => boolean, cached?: boolean) {
      try {
        renderer._render(offers, cached);
      } catch {} // a page's odd DOM must not cost it the offers
      const showing = showMessages(offers, isView);
      if (showing) showing.then(() => latest() && prehide._reveal());
      else prehide._reveal();
    },
    /** Consent refused: every slot and message shown so far is taken back. */
    _clear() {
      renderer._clear();
      if (messages) messages.then((module) => module && module.clear());
    },
  };
}

export type Presenter = ReturnType<typeof createPresenter>;
