/**
 * A CMP made of IAB Tech Lab's own code (`@iabtechlabtcf/core` encodes the TC string, `@iabtechlabtcf/cmpapi`
 * answers `__tcfapi`), as a real CMP runs them: the unit tests use it in happy-dom, and the end-to-end tests a
 * browser build of it (e2e/tcf.spec.ts). Only the banner is left out: `choose` is the visitor's click.
 */
import { CmpApi, CmpApiModel } from '@iabtechlabtcf/cmpapi';
import { GVL, Segment, TCModel, TCString } from '@iabtechlabtcf/core';

/** Our vendor id in the test vendor list. */
export const VENDOR_ID = 42;

const purposes = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [i + 1, { id: i + 1, name: `Purpose ${i + 1}`, description: '', illustrations: [] }]));
/** A Global Vendor List of one vendor, ours, as IAB publishes them (what encoding a TC string needs). */
const vendorList = () =>
  new GVL({
    gvlSpecificationVersion: 3,
    vendorListVersion: 100,
    tcfPolicyVersion: 5,
    lastUpdated: '2026-01-01T00:00:00Z',
    purposes,
    specialPurposes: {},
    features: {},
    specialFeatures: {},
    stacks: {},
    dataCategories: {},
    vendors: {
      [VENDOR_ID]: { id: VENDOR_ID, name: 'p13n-tag test', purposes: [1, 5, 6], legIntPurposes: [], flexiblePurposes: [], specialPurposes: [], features: [], specialFeatures: [] },
    },
  } as never);

/** What the visitor consented to: purposes (for all vendors), our vendor, and the publisher's own purposes. */
export interface Choice {
  purposes?: number[];
  vendor?: boolean;
  publisher?: number[];
}

/** The TC string of `choice`, with the publisher segment. */
export function tcString({ purposes = [], vendor = false, publisher = [] }: Choice) {
  const model = new TCModel(vendorList());
  model.cmpId = 10;
  model.cmpVersion = 1;
  model.isServiceSpecific = true;
  model.purposeConsents.set(purposes);
  if (vendor) model.vendorConsents.set(VENDOR_ID);
  model.publisherConsents.set(publisher);
  return TCString.encode(model, { segments: [Segment.CORE, Segment.PUBLISHER_TC] });
}

/**
 * Starts IAB's CmpApi in this window (taking over a stub's queue, as CMPs do): `load` answers with a stored choice
 * (`tcloaded`), or `null` when GDPR does not apply; `show` opens the banner (`cmpuishown`); `choose` is the
 * visitor's click (`useractioncomplete`); `disable` is the CMP in error.
 */
export function startCmp() {
  // IAB keeps the CMP's state in statics: a new page starts with none
  CmpApiModel.reset();
  const api = new CmpApi(10, 1, true);
  return {
    load: (choice: Choice | null) => api.update(choice ? tcString(choice) : null, false),
    show: () => api.update('', true),
    choose: (choice: Choice) => api.update(tcString(choice), false),
    disable: () => api.disable(),
  };
}
