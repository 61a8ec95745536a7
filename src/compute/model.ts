import type { ModelResources } from '../model/applied-model.js';

/** What compute needs of the applied model: the graph, audiences, classic audiences, emitters. */
export type ComputeModel = ModelResources;

export { findAudience } from '../model/applied-model.js';
export { linkedAudiencesUsed } from '../model/condition-walk.js';
