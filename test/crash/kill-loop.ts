import { changeAndRequest, createProject, spawnLinked, startRecorder, verify, type Verdict } from './harness.js';
import { rng } from '../support/generate.js';

/*
 * The whole daemon killed again and again: each cycle changes some profiles and asks for a compute
 * (the daemon is down meanwhile), starts `linked run`, and kills it with SIGKILL at a moment drawn
 * from a seeded generator. The moment is a phase (starting, computing, delivering, idle) and a
 * delay after the phase begins, so kills land where meant on a fast or a loaded machine alike.
 * After the last kill, `linked run --once` (a restart that computes what is requested and delivers
 * until the outbox is empty, then stops cleanly) ends the run, and the webhook's record is checked
 * against the warehouse (harness.ts `verify`).
 */
export interface KillLoopOptions {
  kills: number;
  seed: number;
  /** Profiles in the warehouse (a fifth start as members). */
  users: number;
  /** Profiles whose plan flips before each restart. */
  changesPerCycle: number;
  /** Events per delivery page (a crash resends at most the page in flight). */
  pageSize: number;
  /** The webhook's answer time: long enough that kills land inside deliveries. */
  webhookDelayMs: number;
  /** After its phase begins, a kill comes within this long. */
  maxKillDelayMs: number;
  /** SIGKILL (a crash) by default; SIGTERM stops the daemon as an orchestrator does (it drains, then exits 0). */
  signal?: 'SIGKILL' | 'SIGTERM';
  /** How long to wait for a phase to begin before killing anyway. */
  phaseTimeoutMs?: number;
  log?: (line: string) => void;
}

export const PHASES = ['starting', 'computing', 'delivering', 'idle'] as const;
export type Phase = (typeof PHASES)[number];

export interface KillLoopReport extends Verdict {
  kills: number;
  /** Kills per phase the loop aimed at. */
  aimed: Record<Phase, number>;
  /** Kills that cut a delivery pass: events of this life had arrived and no pass had ended. */
  cutDeliveries: number;
  finalExitCode: number | null;
  requests: number;
  durationMs: number;
}

export async function runKillLoop(o: KillLoopOptions): Promise<KillLoopReport> {
  const started = Date.now();
  const random = rng(o.seed).next;
  const recorder = await startRecorder(o.webhookDelayMs);
  const project = await createProject(recorder.url, o.users);
  const flags = ['--tick-seconds', '1', '--lease-ttl', '5', '--page-size', String(o.pageSize), '--no-gc'];
  const aimed: Record<Phase, number> = { starting: 0, computing: 0, delivering: 0, idle: 0 };
  let cutDeliveries = 0;
  let kills = 0;
  const timeout = o.phaseTimeoutMs ?? 120_000;
  try {
    for (let i = 0; i < o.kills; i++) {
      if (i > 0) await changeAndRequest(project.db, o.users, o.changesPerCycle, random);
      const before = recorder.events.length;
      const phase = PHASES[Math.floor(random() * PHASES.length)];
      const delay = Math.floor(random() * o.maxKillDelayMs);
      const daemon = spawnLinked(project.dir, ['run', ...flags]);
      const began =
        phase === 'starting'
          ? true
          : phase === 'computing'
            ? await daemon.waitFor(/premium: computing/, timeout)
            : phase === 'delivering'
              ? await until(() => recorder.events.length > before, timeout, () => daemon.child.exitCode !== null)
              : await daemon.waitFor(/premium-changes -> hook: /, timeout);
      await new Promise((r) => setTimeout(r, delay));
      const out = daemon.output();
      const signal = o.signal ?? 'SIGKILL';
      if (daemon.child.exitCode !== null) throw new Error(`linked run ended before its ${signal} (${daemon.child.exitCode}):\n${out}`);
      daemon.child.kill(signal);
      const end = await daemon.exited;
      const stoppedAsMeant = signal === 'SIGKILL' ? end.signal === 'SIGKILL' : end.code === 0;
      if (!stoppedAsMeant) throw new Error(`linked run did not end as ${signal} should (code ${end.code}, signal ${end.signal}):\n${end.out}\n${end.err}`);
      kills++;
      aimed[phase]++;
      const arrived = recorder.events.length - before;
      const passesEnded = (out.match(/premium-changes -> hook: /g) ?? []).length;
      if (arrived > 0 && passesEnded === 0) cutDeliveries++;
      o.log?.(`kill ${i + 1}/${o.kills}: ${phase}${began ? '' : ' (never began)'} + ${delay} ms; ${arrived} event(s) arrived in this life, ${passesEnded} pass(es) ended`);
    }
    // The last restart: computes what is requested, delivers until empty, stops on its own.
    const last = spawnLinked(project.dir, ['run', '--once', ...flags]);
    const end = await last.exited;
    if (end.code !== 0) o.log?.(`linked run --once exited ${end.code}:\n${end.out}\n${end.err}`);
    const verdict = await verify(project.db, recorder.events);
    return { ...verdict, kills, aimed, cutDeliveries, finalExitCode: end.code, requests: recorder.requests, durationMs: Date.now() - started };
  } finally {
    await recorder.close();
  }
}

async function until(test: () => boolean, timeoutMs: number, gaveUp: () => boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline || gaveUp()) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}
