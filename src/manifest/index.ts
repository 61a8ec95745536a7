// Placeholder signatures until the manifest loader lands (issue 2, owned by the constructs work).
import { LinkedError } from '../model/errors.js';
import type { Desired } from '../model/desired.js';

/** Reads `cdktf.out/stacks/<stack>/cdk.tf.json` into the validated model. `stack` may be omitted when there is one. */
export async function loadDesired(_outDir = 'cdktf.out', _stack?: string): Promise<Desired> {
  throw new LinkedError('NOT_IMPLEMENTED', 'The manifest loader is not implemented yet.');
}
