import { changeAndRequest, createProject, spawnLinked, startRecorder, verify, type Verdict } from './harness.js';
import { rng } from '../support/generate.js';

/*
 * The whole daemon stopped again and again: each life starts after some profiles changed and a
 * compute was asked for (the daemon is down meanwhile), runs `linked run`, and ends with SIGKILL
 * (a crash) or SIGTERM (an orchestrator's stop: it drains, then exits 0) at a moment drawn from a
 * seeded generator. The moment is a phase (starting, computing, delivering: a request in the
 * webhook's hands, idle: a delivery pass ended) and a delay after the phase begins, so stops land
 * where meant on a fast or a loaded machine alike. The SIGKILLs go
 * to every phase in turn (a seeded shuffle, each phase as often as the count allows); the SIGTERMs
 * go where stopping cleanly has work to finish (a compute, a delivery pass), at seeded places
 * among the kills. After the last life, `linked run --once` (a restart that computes what is
 * requested and delivers until the outbox is empty, then stops cleanly) ends the run, and the
 * webhook's record is checked against the warehouse (harness.ts `verify`) and against the lives.
 */
export interface KillLoopOptions {
  /** SIGKILLs. */
  kills: number;
  /** SIGTERMs, among the kills. */
  sigterms?: number;
  seed: number;
  /** Profiles in the warehouse (a fifth start as members). */
  users: number;
  /** Profiles whose plan flips before each restart. */
  changesPerCycle: number;
  /** Events per delivery page (a crash resends at most the pages in flight). */
  pageSize: number;
  /** The webhook's processing time of a request: a stop aimed at a delivery lands inside it. */
  webhookDelayMs: number;
  /** After its phase begins, a stop comes within this long (a delivery: within half the webhook's processing time). */
  maxKillDelayMs: number;
  /** How long to wait for a phase to begin before stopping anyway. */
  phaseTimeoutMs?: number;
  log?: (line: string) => void;
}

export const PHASES = ['starting', 'computing', 'delivering', 'idle'] as const;
export type Phase = (typeof PHASES)[number];
/** Where a SIGTERM has something to finish (before its handler is installed, SIGTERM is a plain kill). */
const SIGTERM_PHASES: readonly Phase[] = ['delivering', 'computing'];

type Signal = 'SIGKILL' | 'SIGTERM';

export interface KillLoopReport extends Verdict {
  kills: number;
  sigterms: number;
  /** SIGKILLs per phase the loop aimed at. */
  aimed: Record<Phase, number>;
  /** Kills that cut a delivery pass: a request in the webhook's hands, or events of this life arrived and no pass ended. */
  cutDeliveries: number;
  /**
   * Resent events whose first copy was not among the last two pages a SIGKILLed life received
   * (the two pages in flight: deliver.ts starts a page beside the last requests of the one before,
   * and only once every page before those is recorded). 0: every
   * duplicate comes from a batch in flight at a crash.
   */
  duplicatesOutsideFlight: number;
  /** Events a SIGTERMed life received that arrived again after it. 0: a clean stop resends nothing. */
  resentAfterSigterm: number;
  finalExitCode: number | null;
  requests: number;
  /** Requests a kill cut while the webhook processed them (dropped by it, so resent). */
  droppedRequests: number;
  durationMs: number;
}

interface Life {
  signal: Signal;
  phase: Phase;
  /** Index in the recorder's events of the first and one past the last event of this life. */
  from: number;
  to: number;
}

export async function runKillLoop(o: KillLoopOptions): Promise<KillLoopReport> {
  const started = Date.now();
  const random = rng(o.seed).next;
  const plan = planLives(o.kills, o.sigterms ?? 0, random);
  const recorder = await startRecorder(o.webhookDelayMs);
  const project = await createProject(recorder.url, o.users);
  const flags = ['--tick-seconds', '1', '--lease-ttl', '5', '--page-size', String(o.pageSize), '--no-gc'];
  const aimed: Record<Phase, number> = { starting: 0, computing: 0, delivering: 0, idle: 0 };
  const lives: Life[] = [];
  let cutDeliveries = 0;
  const timeout = o.phaseTimeoutMs ?? 120_000;
  try {
    for (const [i, { signal, phase }] of plan.entries()) {
      if (i > 0) changeAndRequest(project, o.changesPerCycle, random);
      const before = recorder.events.length;
      // Delivering: the stop comes while the webhook processes the first or second request of this
      // life (so in the second, the first page's record may still be committing), before it answers.
      const nthRequest = 1 + Math.floor(random() * 2);
      const delay = Math.floor(random() * (phase === 'delivering' ? o.webhookDelayMs / 2 : o.maxKillDelayMs));
      const arrivalsBefore = recorder.arrivals;
      const droppedBefore = recorder.dropped;
      const daemon = spawnLinked(project.dir, ['run', ...flags]);
      // A pass that ended after this life's compute committed delivered all there was.
      const deliveredAll = /premium: Live[\s\S]*premium-changes -> hook: /;
      const began =
        phase === 'starting'
          ? true
          : phase === 'computing'
            ? await daemon.waitFor(/premium: computing/, timeout)
            : phase === 'delivering'
              ? await recorder.waitForArrival(arrivalsBefore + nthRequest, timeout, () => daemon.child.exitCode !== null || deliveredAll.test(daemon.output()))
              : await daemon.waitFor(deliveredAll, timeout);
      await new Promise((r) => setTimeout(r, delay));
      const out = daemon.output();
      if (daemon.child.exitCode !== null) throw new Error(`linked run ended before its ${signal} (${daemon.child.exitCode}):\n${out}`);
      if (signal === 'SIGKILL') recorder.cutInProcessing();
      daemon.child.kill(signal);
      const end = await daemon.exited;
      const stoppedAsMeant = signal === 'SIGKILL' ? end.signal === 'SIGKILL' : end.code === 0;
      if (!stoppedAsMeant) throw new Error(`linked run did not end as ${signal} should (code ${end.code}, signal ${end.signal}):\n${end.out}\n${end.err}`);
      lives.push({ signal, phase, from: before, to: recorder.events.length });
      if (signal === 'SIGKILL') aimed[phase]++;
      const arrived = recorder.events.length - before;
      const passesEnded = (out.match(/premium-changes -> hook: /g) ?? []).length;
      const cut = recorder.dropped - droppedBefore;
      if (signal === 'SIGKILL' && (cut > 0 || (arrived > 0 && passesEnded === 0))) cutDeliveries++;
      const what = phase === 'delivering' ? `request ${nthRequest} in processing` : phase;
      o.log?.(`${signal} ${i + 1}/${plan.length}: ${what}${began ? '' : ' (never began)'} + ${delay} ms; ${arrived} event(s) arrived in this life, ${cut} request(s) cut, ${passesEnded} pass(es) ended`);
    }
    // The last restart: computes what is requested, delivers until empty, stops on its own.
    const last = spawnLinked(project.dir, ['run', '--once', ...flags]);
    const end = await last.exited;
    if (end.code !== 0) o.log?.(`linked run --once exited ${end.code}:\n${end.out}\n${end.err}`);
    const verdict = await verify(project.db, recorder.events);
    const ids = recorder.events.map((e) => e.messageId);
    return {
      ...verdict,
      kills: lives.filter((l) => l.signal === 'SIGKILL').length,
      sigterms: lives.filter((l) => l.signal === 'SIGTERM').length,
      aimed,
      cutDeliveries,
      duplicatesOutsideFlight: duplicatesOutsideFlight(ids, lives, 2 * o.pageSize),
      resentAfterSigterm: resentAfterSigterm(ids, lives),
      finalExitCode: end.code,
      requests: recorder.requests,
      droppedRequests: recorder.dropped,
      durationMs: Date.now() - started,
    };
  } finally {
    await recorder.close();
  }
}

/** The lives in order: SIGKILLs through every phase in a seeded order, SIGTERMs at seeded places among them. */
function planLives(kills: number, sigterms: number, random: () => number): { signal: Signal; phase: Phase }[] {
  const phases = Array.from({ length: kills }, (_, i) => PHASES[i % PHASES.length]);
  const lives: { signal: Signal; phase: Phase }[] = shuffle(phases, random).map((phase) => ({ signal: 'SIGKILL', phase }));
  for (let t = 0; t < sigterms; t++) {
    lives.splice(Math.floor(random() * (lives.length + 1)), 0, { signal: 'SIGTERM', phase: SIGTERM_PHASES[t % SIGTERM_PHASES.length] });
  }
  return lives;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** Receipts beyond the first whose first copy is not among the last `inFlight` receipts of a SIGKILLed life. */
function duplicatesOutsideFlight(ids: readonly string[], lives: readonly Life[], inFlight: number): number {
  const first = new Map<string, number>();
  ids.forEach((id, i) => first.has(id) || first.set(id, i));
  const inFlightAtACrash = (i: number) => lives.some((l) => l.signal === 'SIGKILL' && i >= l.from && i < l.to && i >= l.to - inFlight);
  return ids.filter((id, i) => first.get(id)! < i && !inFlightAtACrash(first.get(id)!)).length;
}

function resentAfterSigterm(ids: readonly string[], lives: readonly Life[]): number {
  let resent = 0;
  for (const l of lives.filter((x) => x.signal === 'SIGTERM')) {
    const before = new Set(ids.slice(l.from, l.to));
    resent += ids.slice(l.to).filter((id) => before.has(id)).length;
  }
  return resent;
}
