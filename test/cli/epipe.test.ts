import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixtureArgs } from '../support/fixture-process.js';

const FIXTURE = fileURLToPath(new URL('./epipe.fixture.ts', import.meta.url));

describe('output into a closed pipe (linked … | head)', () => {
  it('stops quietly with exit code 0 when the reader leaves', async () => {
    const child = spawn(process.execPath, [...fixtureArgs(FIXTURE), 'flood'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Read the first chunk, then close our end, as `head` does.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  }, 30_000);
});
