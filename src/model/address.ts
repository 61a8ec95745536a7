import type { ResourceKind } from './desired.js';

/** `audience.overdue-cards`: how diagnostics and the plan name a resource. */
export const resourceAddress = (kind: ResourceKind, key: string) => `${kind}.${key}`;
