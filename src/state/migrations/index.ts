import type { Migration } from './types.js';
import { migration as core } from './001_core.js';
import { migration as compute } from './002_compute.js';
import { migration as activation } from './003_activation.js';
import { migration as gitops } from './004_gitops.js';
import { migration as deliveryPages } from './005_delivery_pages.js';
import { migration as indexFreeWrites } from './006_index_free_writes.js';
import { migration as deliveryHealth } from './007_delivery_health.js';
import { migration as crashLiveness } from './008_crash_liveness.js';
import { migration as traceLinks } from './009_trace_links.js';
import { migration as backfillLinks } from './010_backfill_links.js';
import { migration as controllerStacks } from './011_controller_stacks.js';

export type { Migration } from './types.js';

/** Every migration, in version order. Append only: a released migration never changes. */
export const MIGRATIONS: readonly Migration[] = [core, compute, activation, gitops, deliveryPages, indexFreeWrites, deliveryHealth, crashLiveness, traceLinks, backfillLinks, controllerStacks];
