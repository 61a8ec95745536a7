import { clearFixtureBundles } from './support/fixture-process.js';

/** Before the workers start: drops the bundles no run has used for a day (test/support/fixture-process.ts). */
export default function setup(): void {
  clearFixtureBundles();
}
