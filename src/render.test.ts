import { beforeEach, describe, expect, it } from 'vitest';
import { render } from './render';

const slot = (name: string) => document.querySelector<HTMLElement>(`[data-p13n-offer="${name}"]`)!;
const field = (name: string, key: string) => slot(name).querySelector(`[data-p13n-attr="${key}"]`)!;

beforeEach(() => {
  document.body.innerHTML = `
    <section data-p13n-offer="hero" hidden><h2 data-p13n-attr="headline">Default</h2><p data-p13n-attr="text">Default text</p></section>
    <section data-p13n-offer="other"><span data-p13n-attr="headline">Shown by default</span></section>
    <section data-p13n-offer="toString" hidden><span data-p13n-attr="headline"></span></section>`;
});

describe('render', () => {
  it('shows the slots whose offer came back, hides the others, and fills their fields', () => {
    render({ hero: { attributes: { headline: 'Spring sale', text: 20 } } });
    expect(slot('hero').hidden).toBe(false);
    expect(field('hero', 'headline').textContent).toBe('Spring sale');
    expect(field('hero', 'text').textContent).toBe('20');
    expect(slot('other').hidden).toBe(true);
  });

  it('sets text only: markup in an offer stays text and creates no element', () => {
    const attack = '<img src=x onerror="window.pwned=1"><script>window.pwned=1</script>';
    render({ hero: { attributes: { headline: attack } } });
    expect(field('hero', 'headline').textContent).toBe(attack);
    expect(field('hero', 'headline').children).toHaveLength(0);
    expect(document.querySelector('img, script')).toBeNull();
  });

  it('keeps the default text of a field the offer lacks, or whose value is not text', () => {
    render({ hero: { attributes: { text: { nested: true } } } });
    expect(slot('hero').hidden).toBe(false);
    expect(field('hero', 'headline').textContent).toBe('Default');
    expect(field('hero', 'text').textContent).toBe('Default text');
  });

  it('shows an offer that has no attributes', () => {
    render({ hero: {} });
    expect(slot('hero').hidden).toBe(false);
    expect(field('hero', 'headline').textContent).toBe('Default');
  });

  it('reads own properties only: inherited names and a polluted prototype render nothing', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.headline = 'polluted';
    try {
      render({ hero: { attributes: {} } });
    } finally {
      delete proto.headline;
    }
    expect(slot('toString').hidden).toBe(true); // an offers object inherits toString, but it is no offer
    expect(field('hero', 'headline').textContent).toBe('Default');
  });

  it('hides every slot when no offer came back', () => {
    render({});
    expect([slot('hero').hidden, slot('other').hidden]).toEqual([true, true]);
  });
});
