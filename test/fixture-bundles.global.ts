import { clearFixtureBundles } from './support/fixture-process.js';

/** Before the workers start: they bundle the fixtures they spawn afresh (test/support/fixture-process.ts). */
export default function setup(): void {
  clearFixtureBundles();
}
