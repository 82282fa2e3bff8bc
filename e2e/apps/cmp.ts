// IAB Tech Lab's own stub and CMP API in a page (e2e/tcf.spec.ts): the stub as a CMP's snippet installs it, and
// `startCmp` for the CMP's bundle arriving later (src/modules/tcf/cmp.testing.ts).
import installStub from '@iabtechlabtcf/stub';
import { startCmp } from '../../src/modules/tcf/cmp.testing';

installStub();
(window as unknown as { startCmp: typeof startCmp }).startCmp = startCmp;
