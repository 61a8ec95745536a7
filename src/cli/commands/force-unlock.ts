import type { Command } from 'commander';
import { LinkedError } from '../../model/errors.js';
import { LockStore, stackOfLock, type LockInfo } from '../../state/apply/lock.js';
import { ControllerStore } from '../../state/control/controllers.js';
import { emitterLeaseKey, LeaseStore, type LeaseInfo } from '../../state/control/leases.js';
import { readAppliedResources } from '../../state/apply/resources.js';
import type { Warehouse } from '../../warehouse/types.js';
import { openProject } from '../context.js';
import { printJson } from '../run.js';
import { withProjectOptions, projectOptions, type ProjectFlags } from '../command-options.js';

/** What force-unlock released: a state lock, one lease, or a gone controller and its leases. */
type Released = { kind: 'lock'; lock: LockInfo } | { kind: 'lease'; lease: LeaseInfo } | { kind: 'holder'; holder: string; controller: boolean; leases: LeaseInfo[] };

/**
 * `linked force-unlock <id>`: releases what a process that died still holds. The id is a state
 * lock's id (`linked state list`), an audience (or other lease key) whose lease to release, or a
 * holder (a controller id, or `cli:<host>:<pid>`): all its leases, and a controller is marked stopped.
 */
export function register(program: Command): void {
  withProjectOptions(
    program
      .command('force-unlock <id>')
      .description('release a state lock (by lock id), a lease (by audience), or everything a dead holder held (by holder id); only when its holder is gone'),
  ).action(async (id: string, flags: ProjectFlags) => {
    const project = await openProject(projectOptions(flags));
    try {
      await refuseOtherStack(project.warehouse, project.stateSchema, project.desired.stack, id);
      const released = await forceUnlock(project.warehouse, project.stateSchema, id);
      if (flags.json) printJson({ released: released.kind === 'lock' ? released.lock : released.kind === 'lease' ? released.lease : released, kind: released.kind });
      else process.stdout.write(describe(released));
    } finally {
      await project.close();
    }
  });
}

/**
 * Several stacks may share the state schema: what another stack's apply, run or controller holds
 * is released with that stack named (`--stack <it>`), never by a command of this one, so a
 * mistyped --stack does not break into a live apply or run of another team.
 */
async function refuseOtherStack(wh: Warehouse, schema: string, stack: string, id: string): Promise<void> {
  const lock = (await new LockStore(wh, schema).list()).find((l) => l.id === id);
  const applied = await readAppliedResources(wh, schema, { includeDeleted: true });
  const ownerOfKey = (key: string) =>
    applied.find((r) => (r.kind === 'audience' && r.key === key) || (r.kind === 'event_emitter' && emitterLeaseKey(r.key) === key))?.stack ?? null;
  const controller = lock ? undefined : await new ControllerStore(wh, schema).stackOf(id);
  const owner = lock ? stackOfLock(lock.name) : controller !== undefined ? controller : ownerOfKey(id);
  if (owner === null || owner === stack) return;
  const what = lock ? `the state lock ${id} (${lock.name})` : controller !== undefined ? `controller ${id}` : `the lease on ${id}`;
  throw new LinkedError(
    'LOCK_OTHER_STACK',
    `${what} belongs to stack "${owner}", not "${stack}": nothing was released. If its holder is gone, run \`linked force-unlock ${id} --stack ${owner}\`.`,
  );
}

async function forceUnlock(wh: Warehouse, schema: string, id: string): Promise<Released> {
  const locks = new LockStore(wh, schema);
  if ((await locks.list()).some((l) => l.id === id)) return { kind: 'lock', lock: await locks.forceUnlock(id) };
  const leases = new LeaseStore(wh, schema);
  const lease = await leases.forceRelease(id);
  if (lease) return { kind: 'lease', lease };
  const controllers = new ControllerStore(wh, schema);
  const controller = await controllers.exists(id);
  if (controller) await controllers.markStopped(id);
  const held = await leases.releaseHolder(id);
  if (controller || held.length > 0) return { kind: 'holder', holder: id, controller, leases: held };
  throw new LinkedError(
    'LOCK_NOT_FOUND',
    `Nothing is held under ${id}: no state lock has that id, no lease has that key, and no controller or lease holder has that id. ` +
      '`linked state list` shows the state locks; `linked status` shows what is computing.',
  );
}

function describe(r: Released): string {
  if (r.kind === 'lock') return `Released the state lock ${r.lock.id} (${r.lock.name}, held by ${r.lock.holder} since ${r.lock.acquiredAt}).\n`;
  if (r.kind === 'lease') return `Released the lease on ${r.lease.key} (held by ${r.lease.holder} since ${r.lease.acquiredAt}).\n`;
  const leases = r.leases.length === 0 ? 'it held no lease' : `released its lease${r.leases.length > 1 ? 's' : ''} on ${r.leases.map((l) => l.key).join(', ')}`;
  return `${r.controller ? `Marked the controller ${r.holder} stopped; ` : `${r.holder}: `}${leases}.\n`;
}
