/**
 * The generated L1 classes (`npm run gen`, from provider-schema.json): one literal
 * linkedaudiences_* resource per L2 construct. Never edited by hand.
 */
export * as l1 from './.gen/providers/linkedaudiences/index.js';
