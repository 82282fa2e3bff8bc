import type { Settings } from './config';
import type { Consent } from '../types';

/**
 * Global Privacy Control, when the site honours it (`respectGPC`) and the browser sends it: a refusal no banner
 * click overrides. The core and the early snippet decide alike.
 */
export const gpcRefuses = (settings: Pick<Settings, 'respectGPC'>) =>
  !!settings.respectGPC && (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl === true;

/** Calls held while consent is pending; beyond this the oldest is dropped. Enough for a long-pending banner. */
export const MAX_HELD = 30;

/**
 * The visitor's consent, and the calls that wait while it is pending: each is told 'granted', 'denied' or, when
 * more than MAX_HELD wait, 'dropped', in the order they were made. 'tcf' (the page's TCF CMP, which the tcf module
 * reads) waits as 'pending' does; it is only ever the initial state, set before any call can wait.
 */
export function createConsent(initial: Consent | 'tcf') {
  let state = initial;
  let held: ((decision: string) => void)[] = [];
  return {
    get: () => state,
    /** The decision a call goes out under: at once, or once the visitor decides. */
    allowed: (): string | Promise<string> =>
      state == 'pending' || state == 'tcf'
        ? new Promise<string>((resume) => {
            held.push(resume);
            if (held.length > MAX_HELD) held.shift()!('dropped');
          })
        : state,
    /** Records a decision and answers what waited for one; returns the state before. */
    set(decision: Consent) {
      const was = state;
      state = decision;
      if (decision != 'pending') {
        const waiting = held;
        held = [];
        waiting.forEach((resume) => resume(decision));
      }
      return was;
    },
  };
}

export type ConsentState = ReturnType<typeof createConsent>;
