import { resolve } from 'node:path';
import { loadDesired } from '../manifest/index.js';
import type { Desired } from '../model/desired.js';
import { migrateState } from '../state/migrate.js';
import { openWarehouse } from '../warehouse/index.js';
import type { Warehouse } from '../warehouse/types.js';

export interface ProjectOptions {
  /** The project directory (holds cdktf.json); relative DuckDB paths resolve from here. */
  dir?: string;
  /** Synthesized output; default `<dir>/cdktf.out`. */
  outDir?: string;
  stack?: string;
}

export interface Project {
  dir: string;
  desired: Desired;
  warehouse: Warehouse;
  stateSchema: string;
  close(): Promise<void>;
}

/**
 * What most commands start with: the synthesized model, its warehouse opened, the state schema
 * migrated. Callers must `close()` (DESIGN D5: never hold a DuckDB file between operations).
 */
export async function openProject(options: ProjectOptions = {}): Promise<Project> {
  const dir = resolve(options.dir ?? process.cwd());
  const desired = await loadDesired(options.outDir ?? resolve(dir, 'cdktf.out'), options.stack);
  const warehouse = await openWarehouse(desired.warehouse, dir);
  try {
    await migrateState(warehouse, desired.warehouse.stateSchema);
  } catch (e) {
    await warehouse.close();
    throw e;
  }
  return { dir, desired, warehouse, stateSchema: desired.warehouse.stateSchema, close: () => warehouse.close() };
}
