import type { Migration } from './types.js';

/**
 * What lets a process tell that another one died, without waiting minutes:
 *
 * - `controllers.alive_until`: each controller says, at every beat, how long it counts as live
 *   without another beat (its tick interval plus a lease TTL), so `linked compute` stops handing
 *   requests to a controller that was killed. Rows without it fall back to a fixed window.
 * - `delivery_runs.holder`: the process that runs a delivery run (`deliver:<host>:<pid>`), so a
 *   later run closes the runs whose process is gone instead of leaving them "running".
 */
export const migration: Migration = {
  version: 8,
  name: 'crash_liveness',
  up: (s) => [
    `ALTER TABLE ${s}."controllers" ADD COLUMN alive_until TIMESTAMP`,
    `ALTER TABLE ${s}."delivery_runs" ADD COLUMN holder VARCHAR`,
  ],
};
