import { describe, expect, it } from 'vitest';
import { report } from './shop/report-counts.mjs';

const impression = (visitor, offers, group = 'treated') => ({ event: 'p13n_impression', td_client_id: visitor, p13n_offers: offers, p13n_group: group });

describe("the demo report's counts", () => {
  it('counts impressions, visitors, clicks, CTR, dismissals and conversions per offer and group, and the lift', () => {
    const bodies = [
      impression('a', ['hero', 'footer']),
      impression('a', ['hero']), // a second page view
      impression('b', ['hero']),
      impression('c', ['hero'], 'holdout'),
      impression('d', ['hero'], 'holdout'),
      { event: 'p13n_click', td_client_id: 'a', p13n_offers: ['hero'], p13n_group: 'treated' },
      { event: 'p13n_dismiss', td_client_id: 'b', p13n_offers: ['footer'], p13n_group: 'treated' },
      { event: 'purchase', td_client_id: 'a', p13n_exposures: ['hero', 'footer'] },
      { event: 'purchase', td_client_id: 'a', p13n_exposures: ['hero'] }, // a visitor converts once
      { event: 'purchase', td_client_id: 'c', p13n_exposures: ['hero'] },
      { event: 'purchase', td_client_id: 'z', p13n_exposures: ['hero'] }, // never seen: no row counts it
      { event: 'add_to_cart', td_client_id: 'b' },
    ];
    const { rows, events } = report(bodies);
    expect(events).toBe(7);
    expect(rows).toEqual([
      { offer: 'footer', group: 'treated', impressions: 1, visitors: 1, clicks: 0, ctr: 0, dismissals: 1, converted: 1, conversionRate: 1 },
      { offer: 'hero', group: 'treated', impressions: 3, visitors: 2, clicks: 1, ctr: 1 / 3, dismissals: 0, converted: 1, conversionRate: 0.5, lift: 0 },
      { offer: 'hero', group: 'holdout', impressions: 2, visitors: 2, clicks: 0, ctr: 0, dismissals: 0, converted: 1, conversionRate: 0.5 },
    ]);
  });

  it('reads whatever else is in the log without breaking', () => {
    expect(report([{ event: 'p13n_impression' }, { event: 'purchase', p13n_exposures: 'hero' }, {}]).rows).toEqual([]);
  });
});
