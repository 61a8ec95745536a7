import { afterEach, describe, expect, it, vi } from 'vitest';
import { DaemonReporting } from '../../src/cli/daemon-observe.js';
import { daemonOptions } from '../../src/cli/daemon-run.js';
import type { DeliveryReport } from '../../src/controller/delivery-loop.js';
import { bank } from '../fixtures/bank.js';

const SECRET = 'braze-s3cret-key';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /;

/** What the calls write to stdout, line by line. */
function stdoutOf(calls: () => void): string[] {
  const written: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    calls();
  } finally {
    spy.mockRestore();
  }
  return written;
}

afterEach(() => vi.unstubAllEnvs());

describe("the daemon's text lines (linked run, deliver --watch, run --git)", () => {
  it("mask the stack's secrets and escape what would steer a terminal, as its JSON log does", () => {
    vi.stubEnv('BRAZE_API_KEY', SECRET);
    const options = daemonOptions(bank, '/tmp', 'run', { json: false, runs: true });
    const reporting = new DaemonReporting({ logFormat: 'text' }, { tickSeconds: 10, secrets: () => [SECRET] });
    const delivery = { emitterKey: 'overdue-reminder', destinationKey: 'braze', sent: 0, failed: 1, deadLettered: 0, status: 'retrying', trigger: 'run', durationMs: 5 };
    const lines = stdoutOf(() => {
      options.log!(`run failed: Could not convert "\u001b[1A\u001b[2K${SECRET}" to INT`);
      options.onDelivery!({ ...delivery, lastError: `HTTP 500 \u009b2J key ${SECRET}\u202e` } as unknown as DeliveryReport);
      reporting.log!(`sync failed: ${SECRET}\r`);
    });
    expect(lines.map((l) => l.replace(ISO, ''))).toEqual([
      'run failed: Could not convert "\\u001b[1A\\u001b[2K(redacted)" to INT\n',
      'overdue-reminder -> braze: 0 sent, 1 failed, 0 dead-lettered (retrying, after run, 5 ms); last error: HTTP 500 \\u009b2J key (redacted)\\u202e\n',
      'sync failed: (redacted)\\u000d\n',
    ]);
    for (const l of lines) expect(l).toMatch(ISO);
  });
});
