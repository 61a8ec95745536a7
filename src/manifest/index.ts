/**
 * The manifest layer: run the user's app (synthApp) and read what it wrote into the validated
 * model (loadDesired). Everything else in src/ reads the declared resources through here.
 */
export { loadDesired, loadStackWarehouse, desiredFromStackJson, listStacks, constructPaths } from './load.js';
export { synthApp, readCdktfJson, outDirOf, synthesizedOutDir, explainFailure, type CdktfJson, type SynthOptions } from './synth.js';
export { summarizeDesired, renderSummary, type DesiredSummary } from './summary.js';
export { assertNoSharedStateKeys, sharedKeyMessage, sharedKeyWarnings, sharedStateKeys, type SharedStateKey } from './shared-state.js';
