/**
 * p13n-tag/react: the tag's latest offers in React 18 and 19 components, hydration-safe by construction.
 *
 * The hooks read the offers source (bindings/source.ts) with `useSyncExternalStore`, whose server snapshot is
 * `LOADING`: the server renders the fallback, the hydration render renders it again (so the server HTML and the
 * first client render always match), and React renders the offer right after hydration. Nothing here runs at
 * import, touches the DOM, or throws into the app: a failure of the tag is the `error` state.
 *
 *   <Offer name="welcome" fallback={<Default />}>{(offer) => <Banner {...offer.attributes} />}</Offer>
 */
import { cloneElement, createContext, createElement, isValidElement, useContext, useSyncExternalStore, type ReactElement, type ReactNode } from 'react';
import { LOADING, offerIn, offersSource } from './source';
import type { Offer as OfferData, OfferState, OffersState, P13nClient, P13nError } from '../types';

export type { OfferData, OfferState, OffersState, P13nClient, P13nError };

const ClientContext = /* @__PURE__ */ createContext<P13nClient | undefined>(undefined);

/** The client the components under it use, from `createClient`; without one they use the page's `window.p13n`. */
export function P13nProvider(props: { client: P13nClient; children?: ReactNode }) {
  return createElement(ClientContext.Provider, { value: props.client }, props.children);
}

const serverSnapshot = () => LOADING;

/**
 * The latest offers of `client`, of the provider's client, or of the page's tag: `loading` on the server, during
 * hydration and until the first answer, then `ready` (or `error` when the first answer failed).
 */
export function useOffers(client?: P13nClient): OffersState {
  const provided = useContext(ClientContext);
  const source = offersSource(client || provided);
  return useSyncExternalStore(source.subscribe, source.get, serverSnapshot);
}

/** The offer `name` of the latest answer, with the answer's status. */
export function useOffer(name: string, client?: P13nClient): OfferState {
  return offerIn(useOffers(client), name);
}

export interface OfferProps {
  /** The offer's name in the answer. */
  name: string;
  /** What to render with the offer, once it came back. */
  children: (offer: OfferData) => ReactNode;
  /** Rendered when the offer is not there: on the server, during hydration, and when the answer lacks it. */
  fallback?: ReactNode;
  /** Rendered while the answer is awaited (the fallback unless told). */
  loading?: ReactNode;
  /** Rendered when the answer failed (the fallback unless told). */
  error?: ReactNode;
  /** A client from `createClient`; the provider's or the page's tag without one. */
  client?: P13nClient;
}

/** Renders `children(offer)` once the offer `name` came back, `loading` while awaited, `fallback` otherwise. */
export function Offer(props: OfferProps): ReactNode {
  const { status, offer } = useOffer(props.name, props.client);
  if (offer) {
    // the offer's element is its place, whose viewable impressions and clicks `measure: true` records
    const content = props.children(offer);
    return isValidElement(content) && typeof content.type == 'string' ? cloneElement(content as ReactElement<object>, { 'data-p13n-measure': props.name } as object) : content;
  }
  const shown = status == 'ready' ? undefined : props[status];
  return shown !== undefined ? shown : props.fallback !== undefined ? props.fallback : null;
}
