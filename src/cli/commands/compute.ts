import type { Command } from 'commander';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { progressLine, renderRunSummary } from '../../compute/format.js';
import { readStatus } from '../../compute/status.js';
import type { RunSummary } from '../../compute/types.js';
import { computeNow, requestOutcome, summaryOfRun, type ComputeNowOutcome } from '../../controller/compute-now.js';
import { requestDirFor, writeRequestFile } from '../../controller/request-files.js';
import { loadDesired, synthesizedOutDir } from '../../manifest/index.js';
import { isLinkedError, LinkedError } from '../../model/errors.js';
import type { WarehouseConfig } from '../../model/warehouse.js';
import { projectOptions, withProjectOptions, type ProjectFlags } from '../command-options.js';
import { openWarehouse } from '../../warehouse/index.js';
import { commandTag } from '../../warehouse/tagged.js';
import { openProject } from '../context.js';
import { EXIT, printJson } from '../run.js';

interface ComputeFlags extends ProjectFlags {
  request?: boolean;
  wait?: boolean;
  waitTimeout: string;
  leaseTtl: string;
}

export function register(program: Command): void {
  withProjectOptions(
    program
      .command('compute <audience>')
      .description('compute an audience now (the seed\'s "Compute now"); with a running controller, that controller computes it'),
  )
    .option('--request', 'only ask the running controller to compute it at its next tick')
    .option('--wait', 'with --request: wait for the run and print its summary')
    .option('--wait-timeout <seconds>', 'how long to wait for a controller to serve the request', '600')
    .option('--lease-ttl <seconds>', 'how long the audience stays leased if this process dies (renewed while it computes)', '30')
    .action(async (audience: string, flags: ComputeFlags) => {
      const dir = resolve(flags.dir ?? process.cwd());
      const tty = !flags.json && process.stderr.isTTY;
      let outcome: ComputeNowOutcome;
      let target: WaitTarget;
      try {
        const project = await openProject(projectOptions(flags));
        target = { warehouse: project.desired.warehouse, stateSchema: project.stateSchema, tag: commandTag(flags.command, project.desired.stack) };
        try {
          outcome = await computeNow(project.warehouse, project.stateSchema, audience, {
            stack: flags.stack,
            controllersOf: project.desired.stack,
            request: flags.request,
            leaseTtlMs: seconds(flags.leaseTtl, '--lease-ttl') * 1000,
            onProgress: tty ? (p) => process.stderr.write(`\r\x1b[2K${progressLine(audience, p)}`) : undefined,
          });
        } finally {
          if (tty) process.stderr.write('\r\x1b[2K');
          await project.close();
        }
      } catch (e) {
        // A controller holds the DuckDB file: leave the request beside it, for its next tick.
        if (!isLinkedError(e) || e.code !== 'WAREHOUSE_BUSY') throw e;
        const desired = await loadDesired(synthesizedOutDir(dir, flags.outDir), flags.stack);
        if (desired.warehouse.type !== 'duckdb') throw e;
        target = { warehouse: desired.warehouse, stateSchema: desired.warehouse.stateSchema, tag: commandTag(flags.command, desired.stack) };
        const requestId = writeRequestFile(requestDirFor(resolve(dir, desired.warehouse.path)), audience, `cli:${hostname()}:${process.pid}`);
        outcome = { kind: 'requested', requestId, controllers: ['(holding the DuckDB file)'] };
      }

      let summary: RunSummary;
      if (outcome.kind === 'computed') {
        summary = outcome.summary;
      } else {
        const waiting = outcome.controllers.length > 0 ? !flags.request || flags.wait : flags.wait;
        if (!waiting) {
          if (flags.json) printJson({ requested: true, requestId: outcome.requestId, audience });
          else process.stdout.write(`Requested a compute of ${audience} (request ${outcome.requestId}); a running controller picks it up at its next tick.\n`);
          return;
        }
        // A controller that paces its looks (--look-every) may look only by its promise: wait that long at least.
        const untilLook = outcome.lookBy ? outcome.lookBy.getTime() - Date.now() : 0;
        if (!flags.json) {
          const by = untilLook > 60_000 ? `; it looks at the warehouse by ${outcome.lookBy!.toISOString()}` : '';
          process.stderr.write(`A controller is running: asked it to compute ${audience} (request ${outcome.requestId}${by})...\n`);
        }
        summary = await waitForRequest(dir, target, outcome.requestId, audience, Math.max(Number(flags.waitTimeout) * 1000, untilLook + 30_000));
      }
      if (flags.json) printJson(summary);
      else process.stdout.write(renderRunSummary(summary));
      if (summary.status !== 'Live') process.exitCode = EXIT.error;
    });
}

function seconds(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new LinkedError('INVALID_OPTION', `${flag} must be a positive number of seconds (got "${value}").`);
  return n;
}

/** Where a request's outcome is read: the stack's warehouse and state, and the tag of the statements that read it. */
interface WaitTarget {
  warehouse: WarehouseConfig;
  stateSchema: string;
  tag: string;
}

/** Polls, opening the warehouse per look (decision D5: the controller needs the file between looks). */
async function waitForRequest(
  dir: string,
  target: WaitTarget,
  requestId: string,
  audience: string,
  timeoutMs: number,
): Promise<RunSummary> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const wh = await openWarehouse(target.warehouse, dir, { tag: target.tag });
      try {
        const { run } = await requestOutcome(wh, target.stateSchema, requestId);
        if (run) {
          const status = await readStatus(wh, target.stateSchema, audience);
          return summaryOfRun(run, status?.paused ?? false);
        }
      } finally {
        await wh.close();
      }
    } catch (e) {
      // Busy: the controller is computing; look again.
      if (!isLinkedError(e) || e.code !== 'WAREHOUSE_BUSY') throw e;
    }
    if (Date.now() > deadline) {
      throw new LinkedError(
        'REQUEST_TIMEOUT',
        `No controller served the compute request ${requestId} within ${Math.round(timeoutMs / 1000)} s. Is \`linked run\` still running?`,
      );
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
