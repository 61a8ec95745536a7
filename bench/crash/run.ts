/*
 * Crash bench: `linked run` killed with SIGKILL at seeded random moments (and stopped with SIGTERM
 * `--sigterms` times among them), restarted each time, then
 * `linked run --once`; reports how many events the warehouse owed, how many arrived, how many were
 * lost (the goal: 0), resent duplicates (all with the same messageId and body, all from a batch in flight at a
 * kill, none after a SIGTERM), and where the kills landed. The same loop as test/crash/daemon.test.ts, with more kills.
 *
 *   npx tsx bench/crash/run.ts [--kills 30] [--seed 7] [--users 3000] [--changes 200] [--page-size 25]
 *                              [--webhook-delay-ms 15] [--max-kill-delay-ms 400]
 *                              [--sigterms 4] [--json]
 */
import { parseArgs } from 'node:util';
import { runKillLoop } from '../../test/crash/kill-loop.js';

const { values: args } = parseArgs({
  options: {
    kills: { type: 'string', default: '30' },
    seed: { type: 'string', default: '7' },
    users: { type: 'string', default: '3000' },
    changes: { type: 'string', default: '200' },
    'page-size': { type: 'string', default: '25' },
    'webhook-delay-ms': { type: 'string', default: '15' },
    'max-kill-delay-ms': { type: 'string', default: '400' },
    sigterms: { type: 'string', default: '4' },
    json: { type: 'boolean', default: false },
  },
});

const report = await runKillLoop({
  kills: Number(args.kills),
  seed: Number(args.seed),
  users: Number(args.users),
  changesPerCycle: Number(args.changes),
  pageSize: Number(args['page-size']),
  webhookDelayMs: Number(args['webhook-delay-ms']),
  maxKillDelayMs: Number(args['max-kill-delay-ms']),
  sigterms: Number(args.sigterms),
  log: args.json ? undefined : (line) => console.log(line),
});
if (args.json) console.log(JSON.stringify(report, null, 2));
else {
  console.log(
    `\n${report.kills} kills and ${report.sigterms} SIGTERMs (kills aimed: ${Object.entries(report.aimed).map(([k, v]) => `${k} ${v}`).join(', ')}; ${report.cutDeliveries} cut a delivery pass); final run --once exit ${report.finalExitCode}`,
  );
  console.log(`events owed ${report.expected}, delivered ${report.delivered}, lost ${report.lost}, unexpected ${report.unexpected}`);
  console.log(
    `duplicates ${report.duplicates} (differing ${report.duplicatesDiffering}, outside the batches in flight at a kill ${report.duplicatesOutsideFlight}, after a SIGTERM ${report.resentAfterSigterm}), ${report.requests} requests (${report.droppedRequests} cut by a kill)`,
  );
  console.log(`members: destination ${report.membersAtDestination}, warehouse ${report.membersInWarehouse}, mismatches ${report.membershipMismatches}`);
  console.log(`left behind: leases ${report.leases}${report.leases ? ` (${report.heldLeases.join(', ')})` : ''}, pending requests ${report.pendingRequests}, running delivery runs ${report.runningDeliveryRuns}, computing runs ${report.computingRuns}`);
  console.log(`${(report.durationMs / 1000).toFixed(1)} s`);
}
if (report.lost > 0 || report.membershipMismatches > 0 || report.duplicatesOutsideFlight > 0 || report.resentAfterSigterm > 0 || report.finalExitCode !== 0) process.exitCode = 1;
