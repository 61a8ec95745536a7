import { resolve } from 'node:path';
import { whileWaiting } from '../controller/file-waiters.js';
import { loadDesired, loadStackWarehouse, synthesizedOutDir } from '../manifest/index.js';
import type { Desired } from '../model/desired.js';
import type { WarehouseConfig } from '../model/warehouse.js';
import { createStateOnly, migrateState } from '../state/migrate.js';
import { openWarehouse } from '../warehouse/index.js';
import { commandTag } from '../warehouse/tagged.js';
import type { Warehouse } from '../warehouse/types.js';

export interface ProjectOptions {
  /** The project directory (holds cdktf.json); relative DuckDB paths resolve from here. */
  dir?: string;
  /** Synthesized output; default `<dir>/cdktf.out`. */
  outDir?: string;
  stack?: string;
  /** The command that opens it (`status`): its statements' query tag names it. */
  command: string;
}

export interface Project {
  dir: string;
  desired: Desired;
  warehouse: Warehouse;
  stateSchema: string;
  /** With `migrate: 'create-only'`: the state's version when it is behind this code's. */
  stateBehind?: { current: number; latest: number };
  close(): Promise<void>;
}

/**
 * What most commands start with: the synthesized model, its warehouse opened, the state schema
 * migrated (`create-only`: created when missing, an existing one left at its version, as
 * createStateOnly says). Callers must `close()` (decision D5: never hold a DuckDB file between
 * operations).
 */
export async function openProject(options: ProjectOptions, state: { migrate: 'always' | 'create-only' } = { migrate: 'always' }): Promise<Project> {
  const dir = resolve(options.dir ?? process.cwd());
  const desired = await loadDesired(synthesizedOutDir(dir, options.outDir), options.stack);
  return { desired, ...(await openState(desired, dir, options.command, state.migrate)) };
}

/** A project's state, for commands that read what was applied and never what is declared. */
export interface ProjectState extends Omit<Project, 'desired'> {
  stack: string;
}

/**
 * Like openProject, reading of the manifest only the stack's warehouse: the declared resources
 * are neither validated nor checked (a manifest being edited does not stop `linked status`).
 */
export async function openProjectState(options: ProjectOptions): Promise<ProjectState> {
  const dir = resolve(options.dir ?? process.cwd());
  const { stack, warehouse } = loadStackWarehouse(synthesizedOutDir(dir, options.outDir), options.stack);
  return { stack, ...(await openState({ stack, warehouse }, dir, options.command)) };
}

async function openState(
  stack: { stack: string; warehouse: WarehouseConfig },
  dir: string,
  command: string,
  migrate: 'always' | 'create-only' = 'always',
): Promise<Omit<Project, 'desired'>> {
  const warehouse = await openStackWarehouse(stack, dir, commandTag(command, stack.stack));
  const schema = stack.warehouse.stateSchema;
  let stateBehind: Project['stateBehind'];
  try {
    if (migrate === 'always') await migrateState(warehouse, schema);
    else stateBehind = await createStateOnly(warehouse, schema);
  } catch (e) {
    await warehouse.close();
    throw e;
  }
  return { dir, warehouse, stateSchema: schema, ...(stateBehind ? { stateBehind } : {}), close: () => warehouse.close() };
}

/**
 * A second connection to the project's warehouse for delivery's page reads
 * (DeliverOptions.reads), where connections are sessions of their own (Snowflake: each statement
 * a round trip, so a page's reads no longer wait behind the previous page's commit). Undefined
 * on DuckDB, whose file the process holds through one connection.
 */
export async function openReadConnection(project: Project, command: string): Promise<Warehouse | undefined> {
  const wh = project.desired.warehouse;
  if (wh.type === 'duckdb') return undefined;
  return openWarehouse(wh, project.dir, { tag: commandTag(command, project.desired.stack) });
}

/**
 * Opens the stack's warehouse. A DuckDB file is opened as a waiter (controller/file-waiters.ts):
 * a running `linked run` or `linked deliver --watch` lets go of the file between two statements,
 * so the command gets it within about a second instead of waiting for a whole delivery.
 */
function openStackWarehouse(stack: { warehouse: WarehouseConfig }, dir: string, tag: string): Promise<Warehouse> {
  const wh = stack.warehouse;
  if (wh.type !== 'duckdb' || wh.path === ':memory:') return openWarehouse(wh, dir, { tag });
  return whileWaiting(resolve(dir, wh.path), () => openWarehouse(wh, dir, { tag }));
}
