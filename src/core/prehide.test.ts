import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPrehide, PREHIDE_ID } from './prehide';

const TIMEOUT = 1000;
const styles = () => document.querySelectorAll(`#${PREHIDE_ID}`);
const style = () => document.getElementById(PREHIDE_ID);
/** What the snippet in the page's head does before the bundle loads. */
const snippet = (css = '.hero{visibility:hidden!important}') =>
  document.head.insertAdjacentHTML('beforeend', `<style id="${PREHIDE_ID}">${css}</style>`);

beforeEach(() => {
  vi.useFakeTimers();
  document.body.innerHTML = '<section class="hero">Hero</section><section class="other">Other</section>';
});
afterEach(() => {
  vi.useRealTimers();
  styles().forEach((element) => element.remove());
});

describe('createPrehide: hide', () => {
  it('adds one style in the head that hides the selector', () => {
    createPrehide('.hero, #banner', TIMEOUT)._hide();
    expect(styles()).toHaveLength(1);
    expect(style()!.tagName).toBe('STYLE');
    expect(style()!.parentNode).toBe(document.head);
    expect(style()!.textContent).toBe('.hero, #banner{visibility:hidden!important}');
  });

  it('hides the elements named, and only those', () => {
    createPrehide('.hero', TIMEOUT)._hide();
    expect(getComputedStyle(document.querySelector('.hero')!).visibility).toBe('hidden');
    expect(getComputedStyle(document.querySelector('.other')!).visibility).not.toBe('hidden');
  });

  it('gives the style the nonce', () => {
    createPrehide('.hero', TIMEOUT, 'r4nd0m')._hide();
    expect(style()!.getAttribute('nonce')).toBe('r4nd0m');
  });

  it('gives no nonce attribute when there is none', () => {
    createPrehide('.hero', TIMEOUT)._hide();
    expect(style()!.hasAttribute('nonce')).toBe(false);
  });

  it('adopts the style the snippet added: no second one, and its text kept', () => {
    snippet('.snippet{visibility:hidden!important}');
    const added = style();
    createPrehide('.hero', TIMEOUT, 'r4nd0m')._hide();
    expect(styles()).toHaveLength(1);
    expect(style()).toBe(added);
    expect(style()!.textContent).toBe('.snippet{visibility:hidden!important}');
  });

  it('adds nothing when there is no selector and no snippet style, and reveal is harmless', () => {
    const prehide = createPrehide(undefined, TIMEOUT);
    prehide._hide();
    expect(styles()).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(() => prehide._reveal()).not.toThrow();
    expect(styles()).toHaveLength(0);
  });

  it('adds the style to the root element when the document has no head', () => {
    const head = document.head;
    head.remove();
    try {
      expect(document.head).toBeNull();
      createPrehide('.hero', TIMEOUT)._hide();
      expect(style()!.parentNode).toBe(document.documentElement);
    } finally {
      document.documentElement.insertBefore(head, document.body);
    }
  });
});

describe('createPrehide: reveal', () => {
  it('removes the style', () => {
    const prehide = createPrehide('.hero', TIMEOUT);
    prehide._hide();
    prehide._reveal();
    expect(styles()).toHaveLength(0);
  });

  it('removes the style the snippet added', () => {
    snippet();
    const prehide = createPrehide('.hero', TIMEOUT);
    prehide._hide();
    prehide._reveal();
    expect(styles()).toHaveLength(0);
  });

  it('removes the style by itself when the timeout passes', () => {
    createPrehide('.hero', TIMEOUT)._hide();
    vi.advanceTimersByTime(TIMEOUT - 1);
    expect(styles()).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(styles()).toHaveLength(0);
  });

  it('removes the snippet style at the timeout, even with no selector', () => {
    snippet();
    createPrehide(undefined, TIMEOUT)._hide();
    vi.advanceTimersByTime(TIMEOUT);
    expect(styles()).toHaveLength(0);
  });

  it('cancels the timer', () => {
    const prehide = createPrehide('.hero', TIMEOUT);
    prehide._hide();
    expect(vi.getTimerCount()).toBe(1);
    prehide._reveal();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('is harmless before hide and when called twice', () => {
    const prehide = createPrehide('.hero', TIMEOUT);
    expect(() => prehide._reveal()).not.toThrow();
    prehide._hide();
    prehide._reveal();
    expect(() => prehide._reveal()).not.toThrow();
    expect(styles()).toHaveLength(0);
  });
});

describe('createPrehide: a route change hides again', () => {
  it('re-adds the style after reveal, and times it out afresh', () => {
    const prehide = createPrehide('.hero', TIMEOUT, 'r4nd0m');
    prehide._hide();
    vi.advanceTimersByTime(100);
    prehide._reveal();
    vi.advanceTimersByTime(500);
    prehide._hide();
    expect(styles()).toHaveLength(1);
    expect(style()!.getAttribute('nonce')).toBe('r4nd0m');
    vi.advanceTimersByTime(TIMEOUT - 1);
    expect(styles()).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(styles()).toHaveLength(0);
  });

  it('restarts the timer when hide is called while still hidden, and keeps one style', () => {
    const prehide = createPrehide('.hero', TIMEOUT);
    prehide._hide();
    vi.advanceTimersByTime(600);
    prehide._hide();
    expect(styles()).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(TIMEOUT - 1);
    expect(styles()).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(styles()).toHaveLength(0);
  });
});
