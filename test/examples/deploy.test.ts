import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../activation/helpers.js';
import { freePort, makeProject } from '../controller/daemon-project.js';
import { ROOT } from './helpers.js';

/*
 * examples/deploy: the Dockerfile starts the daemon as node on the package's bin, in exec form, so
 * the SIGTERM Kubernetes sends reaches it (npx put npm and sh in between, and npm exited without
 * passing it on). The command the image runs is run here as the container's process would be: a
 * real process in a project laid out as the image's /app, signalled directly.
 */
const DEPLOY = join(ROOT, 'examples/deploy');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; bin: Record<string, string> };

/** An exec-form instruction of the Dockerfile (a JSON array), or the shell form as a string. */
function instruction(name: 'ENTRYPOINT' | 'CMD'): string[] | string {
  const lines = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith(`${name} `));
  expect(lines, `one ${name}`).toHaveLength(1);
  const value = lines[0]!.slice(name.length + 1).trim();
  return value.startsWith('[') ? (JSON.parse(value) as string[]) : value;
}

/** A .dockerignore line as a RegExp over context paths (it also matches what a directory holds). */
function dockerPattern(line: string): RegExp {
  const name = (part: string) => part.split('*').map((t) => t.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*');
  return new RegExp(`^${line.split('**/').map(name).join('(?:.*/)?')}(?:/.*)?$`);
}

let hook: TestServer | undefined;
afterAll(async () => hook?.close());

describe('examples/deploy', () => {
  it('the Dockerfile runs node on the package bin in exec form, no npm or shell in between', () => {
    const entrypoint = instruction('ENTRYPOINT');
    const cmd = instruction('CMD');
    expect(Array.isArray(entrypoint), `exec form: ${String(entrypoint)}`).toBe(true);
    expect(Array.isArray(cmd), `exec form: ${String(cmd)}`).toBe(true);
    expect(entrypoint).toEqual(['node', `/app/node_modules/${pkg.name}/${pkg.bin.linked}`, 'run']);
    for (const word of [...entrypoint, ...cmd]) expect(word).not.toMatch(/^(npx|npm|sh|bash|\/bin\/sh)$/);
  });

  it('the build runs the project\'s own linked: npx never fetches the registry\'s unrelated `linked`', () => {
    const npx = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('RUN ') && /\bnpx\b/.test(l));
    expect(npx.length).toBeGreaterThan(0);
    for (const l of npx) expect(l).toMatch(/\bnpx --no-install linked\b/);
  });

  it('the build context leaves out the host\'s node_modules, cdktf.out, DuckDB files and .env files, and keeps the sources', () => {
    // Docker's patterns: `**/` any directories (none included), `*` within one name; a directory
    // left out leaves out what it holds.
    const patterns = readFileSync(join(DEPLOY, 'Dockerfile.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
      .map(dockerPattern);
    const ignored = (path: string) => patterns.some((re) => re.test(path));
    for (const path of ['node_modules/@duckdb/node-bindings/duckdb.node', 'packages/app/node_modules/x', 'cdktf.out/manifest.json', 'warehouse.duckdb', 'data/w.duckdb.wal', 'w.duckdb.waiters/12', '.env', 'config/.env.production', '.git/HEAD', '.linked/checkout/main.ts']) {
      expect(ignored(path), path).toBe(true);
    }
    for (const path of ['main.ts', 'package.json', 'package-lock.json', 'cdktf.json', 'tsconfig.json', 'audiences/premium.ts', 'envelope.ts']) {
      expect(ignored(path), path).toBe(false);
    }
  });

  it('the image\'s command, signalled as PID 1 would be, logs the drain and exits 0', async () => {
    hook = await startServer();
    const p = await makeProject(hook.url);
    // The image's /app: the project, with the package installed in node_modules.
    mkdirSync(join(p.dir, 'node_modules'));
    symlinkSync(ROOT, join(p.dir, 'node_modules', pkg.name), 'dir');
    const [node, bin, ...args] = instruction('ENTRYPOINT') as string[];
    expect(node).toBe('node');
    const port = await freePort();
    // CMD as the Deployment runs it, on a free local port instead of 0.0.0.0:9464.
    const cmd = (instruction('CMD') as string[]).map((a) => (a === '0.0.0.0:9464' ? `127.0.0.1:${port}` : a));
    expect(cmd).toContain(`127.0.0.1:${port}`);
    const child = spawn(process.execPath, [bin!.replace(/^\/app\//, `${p.dir}/`), ...args, ...cmd], { cwd: p.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const records: Record<string, unknown>[] = [];
    createInterface({ input: child.stdout! }).on('line', (l) => records.push(JSON.parse(l) as Record<string, unknown>));
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      for (let i = 0; i < 600 && !records.some((r) => r.msg === 'delivery'); i++) {
        if (child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(records.find((r) => r.msg === 'delivery'), stderr).toMatchObject({ emitter: 'premium-entered', status: 'delivered', sent: 10 });
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running 10 s after SIGTERM'), 10_000))]);
    expect(code, stderr).toBe(0);
    const msgs = records.map((r) => r.msg);
    expect(msgs.indexOf('stopping')).toBeGreaterThan(-1);
    expect(msgs.at(-1)).toBe('stopped');
  }, 120_000);
});
