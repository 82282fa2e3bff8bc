/** IAB's stub (`@iabtechlabtcf/stub`) ships no types: its one export installs `__tcfapi` and the locator frame. */
declare module '@iabtechlabtcf/stub' {
  export default function installStub(): void;
}
