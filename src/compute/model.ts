import type { ModelResources } from '../model/applied-model.js';
import type { UnreadableSpec } from '../state/apply/resources.js';

export type { UnreadableSpec } from '../state/apply/resources.js';

/**
 * What compute needs of the applied model: the graph, audiences, classic audiences, emitters; and
 * the applied resources it leaves out because their stored spec cannot be read (compute skips them).
 */
export type ComputeModel = ModelResources & { unreadable?: UnreadableSpec[] };

export { findAudience } from '../model/applied-model.js';
export { linkedAudiencesUsed } from '../model/condition-walk.js';
