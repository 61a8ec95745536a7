import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { json, startServer } from '../activation/helpers.js';
import { linked, makeProject } from '../plan/cli-project.js';

/*
 * `linked status` tells when a delivering daemon tries a blocked emitter next. Read later, with no
 * daemon delivering (a try moves that time on), the time is past: the text must not announce a
 * try in the past as the next one.
 */
describe('linked status of a blocked emitter whose next try is past', () => {
  it('says a daemon tries it at its next look, and when the try was due', async () => {
    const hook = await startServer((_req, _n, res) => json(res, 401, { error: 'bad token' }));
    try {
      const { dir, raw, write } = await makeProject(1);
      raw.audiences[0].enabled = true;
      raw.destinations[0].settings.url = `${hook.url}/hook`;
      raw.emitters[0].sendForCurrent = true;
      write(raw);
      expect((await linked(['apply', '--auto-approve', '--dir', dir])).status).toBe(0);
      expect((await linked(['compute', 'aud-0', '--dir', dir])).status).toBe(0);
      expect((await linked(['deliver', '--dir', dir], { HOOK_TOKEN: 'tok-next-try-0001' })).stdout).toContain('(blocked: credentials rejected)');

      const before = await linked(['status', '--dir', dir]);
      const due = JSON.parse((await linked(['status', '--dir', dir, '--json'])).stdout).delivery[0].nextTryAt as string;
      expect(Date.parse(due)).toBeGreaterThan(Date.now());
      expect(before.stdout).toContain(`resumes where it stopped at its next try, at ${due.replace(/\.\d{3}Z$/, 'Z')} (at once`);

      // The same block an hour later, nobody having tried it since.
      const wh = await openDuckDb(join(dir, 'w.duckdb'));
      try {
        await wh.query(`UPDATE "LINKED_AUDIENCES".delivery_health SET last_failure_at = last_failure_at - INTERVAL 1 HOUR, blocked_since = blocked_since - INTERVAL 1 HOUR`);
      } finally {
        await wh.close();
      }
      const later = await linked(['status', '--dir', dir]);
      const past = JSON.parse((await linked(['status', '--dir', dir, '--json'])).stdout).delivery[0].nextTryAt as string;
      expect(Date.parse(past)).toBeLessThan(Date.now());
      expect(later.stdout).toContain(`resumes where it stopped at its next look (its next try was due at ${past.replace(/\.\d{3}Z$/, 'Z')}) (at once`);
      expect(later.stdout).not.toContain('at its next try, at');
    } finally {
      await hook.close();
    }
  }, 60_000);

  it("tells a secret not set to be set in the daemon's environment and the daemon restarted, not to wait for its next try", async () => {
    const { dir, raw, write } = await makeProject(1);
    raw.audiences[0].enabled = true;
    raw.emitters[0].sendForCurrent = true;
    write(raw);
    expect((await linked(['apply', '--auto-approve', '--dir', dir])).status).toBe(0);
    expect((await linked(['compute', 'aud-0', '--dir', dir])).status).toBe(0);
    // HOOK_TOKEN not set: nothing is sent, the emitter is blocked.
    expect((await linked(['deliver', '--dir', dir], { HOOK_TOKEN: '' })).stdout).toContain('(blocked: secret HOOK_TOKEN not set)');

    const text = (await linked(['status', '--dir', dir])).stdout;
    expect(text).toContain(
      '; its 1 waiting event is kept, not dead-lettered. Set the secret in the environment of the delivering daemon (`linked run`, `linked deliver --watch`) and restart it: it resumes where it stopped at once (a running one never sees a variable set after it started); `linked deliver` with the secret set, at once.\n',
    );
    expect(text).not.toContain('next try');
  }, 60_000);
});
