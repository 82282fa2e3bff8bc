/**
 * Type tests of p13n-tag/react, checked by `npm run typecheck` (never run, never bundled): what the hooks and the
 * component accept and give. Each `@ts-expect-error` line must fail to compile, or the check fails.
 */
import { createElement, type ReactNode } from 'react';
import { Offer, P13nProvider, useOffer, useOffers, type OfferData, type OfferState, type OffersState, type P13nClient } from './react';
import type { Client, P13nError } from '../types';

declare const client: Client;
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const same = <A, B>(_proof: Equal<A, B>) => undefined;

export function hooks() {
  const all = useOffers();
  same<typeof all, OffersState>(true);
  same<typeof all.status, 'loading' | 'ready' | 'error'>(true);
  same<typeof all.error, P13nError | undefined>(true);
  useOffers(client);

  const one = useOffer('welcome', client);
  same<typeof one, OfferState>(true);
  same<typeof one.offer, OfferData | undefined>(true);
  const headline: unknown = one.offer?.attributes?.headline;
  // @ts-expect-error the offer may be missing
  one.offer.attributes;
  // @ts-expect-error a name is a string
  useOffer(1);
  // @ts-expect-error useOffer takes a name
  useOffer();
  // @ts-expect-error a client has on and off
  useOffers({});
  // @ts-expect-error no such status
  const never: typeof one.status = 'done';
  return [headline, never];
}

export function components(): ReactNode[] {
  const render = (offer: OfferData) => createElement('h2', null, String(offer.attributes?.headline));
  return [
    createElement(Offer, { name: 'welcome', children: render }),
    createElement(Offer, { name: 'welcome', fallback: 'Default', loading: null, error: createElement('p'), client, children: render }),
    createElement(P13nProvider, { client }, createElement(Offer, { name: 'welcome', children: render })),
    // a client is any object with the two commands
    createElement(P13nProvider, { client: { on: client.on, off: client.off } satisfies P13nClient }),
    // @ts-expect-error children is a function of the offer
    createElement(Offer, { name: 'welcome', children: 'Offer' }),
    // @ts-expect-error a name is required
    createElement(Offer, { children: render }),
    // @ts-expect-error children gets an offer, not a string
    createElement(Offer, { name: 'welcome', children: (offer: string) => offer }),
    // @ts-expect-error no such prop
    createElement(Offer, { name: 'welcome', children: render, fallbak: 'Default' }),
    // @ts-expect-error the provider needs a client
    createElement(P13nProvider, {}),
  ];
}
