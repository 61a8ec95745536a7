import { describe, expect, it } from 'vitest';
import { linked, makeProject } from '../plan/cli-project.js';

/*
 * `--limit` of `linked audit` and `linked runs` is checked as `linked deliveries` and `linked why`
 * check theirs: a value that is not a positive whole number is refused, naming the flag, instead of
 * being read as no limit (audit) or as the default (runs).
 */
describe('--limit of linked audit and linked runs', () => {
  it('refuses what is not a positive whole number, in text and --json, and keeps the newest n', async () => {
    const { dir, raw, write } = await makeProject(1);
    raw.audiences[0].enabled = true;
    write(raw);
    expect((await linked(['apply', '--auto-approve', '--dir', dir])).status).toBe(0);
    raw.audiences[0].name = 'Renamed';
    write(raw);
    expect((await linked(['apply', '--auto-approve', '--dir', dir])).status).toBe(0);
    for (let i = 0; i < 2; i++) expect((await linked(['compute', 'aud-0', '--dir', dir])).status).toBe(0);

    for (const command of [['audit'], ['audit', '--format', 'markdown'], ['runs']]) {
      for (const value of ['abc', '0', '-1', '1.5']) {
        const text = await linked([...command, '--dir', dir, '--limit', value]);
        expect(text.status, `${command.join(' ')} --limit ${value}`).toBe(1);
        expect(text.stderr).toContain(`Error [INVALID_OPTION]: --limit must be a positive whole number (got "${value}").`);
        expect(text.stdout).toBe('');
      }
    }
    const json = await linked(['runs', '--dir', dir, '--limit', '0', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ error: { code: 'INVALID_OPTION', message: '--limit must be a positive whole number (got "0").' } });

    expect(JSON.parse((await linked(['audit', '--dir', dir, '--limit', '1', '--json'])).stdout).entries).toHaveLength(1);
    expect(JSON.parse((await linked(['runs', '--dir', dir, '--limit', '1', '--json'])).stdout).runs).toHaveLength(1);
  }, 60_000);
});
