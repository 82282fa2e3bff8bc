/**
 * Type tests of p13n-tag/vue, checked by `npm run typecheck` (never run): what `useOffers`, `useOffer` and `<Offer>`
 * give, and, on each `@ts-expect-error` line, a wrong use that must not compile.
 */
import { createApp, defineComponent, h, ref, type ComputedRef } from 'vue';
import { Offer, p13n, provideP13n, useOffer, useOffers, type OfferState, type OffersState } from './vue';
import type { Client, Offer as OfferData, P13nError } from '../types';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assert = <T extends true>(_: T) => {};

declare const client: Client;

export const types = defineComponent({
  setup() {
    const all = useOffers();
    assert<Equal<typeof all, ComputedRef<OffersState>>>(true);
    const status: 'loading' | 'ready' | 'error' = all.value.status;
    const offers: Record<string, OfferData> = all.value.offers;
    const error: P13nError | undefined = all.value.error;
    // @ts-expect-error the state is read-only
    all.value = { status: 'ready', offers: {} };
    // @ts-expect-error a status the binding never has
    const wrong: typeof all.value.status = 'done';

    const hero = useOffer('hero', client);
    assert<Equal<typeof hero, ComputedRef<OfferState>>>(true);
    const offer: OfferData | undefined = hero.value.offer;
    // @ts-expect-error the offer may be missing
    const sure: OfferData = hero.value.offer;
    useOffer(ref('hero'));
    useOffer(() => 'hero');
    // @ts-expect-error a name is a string
    useOffer(42);
    // @ts-expect-error a client has on and off
    useOffers({ on: () => {} });

    provideP13n(client);
    // @ts-expect-error provideP13n needs a client
    provideP13n();

    return () => [
      status,
      offers,
      error,
      wrong,
      offer,
      sure,
      h(Offer, { name: 'hero' }),
      h(Offer, { name: 'hero', client }, { default: ({ offer }: { offer: OfferData }) => String(offer.attributes), fallback: () => 'Default' }),
      // @ts-expect-error name is required
      h(Offer, {}),
      // @ts-expect-error name is a string
      h(Offer, { name: 1 }),
    ];
  },
});

createApp(types).use(p13n, { client });
createApp(types).use(p13n);
// @ts-expect-error the plugin's option is { client }
createApp(types).use(p13n, { clients: client });

// the component's slots as a template or a render function sees them
type Slots = InstanceType<typeof Offer>['$slots'];
assert<Equal<Parameters<NonNullable<Slots['default']>>[0], { offer: OfferData }>>(true);
assert<Equal<Parameters<NonNullable<Slots['error']>>[0], { status: 'error'; error?: P13nError }>>(true);
