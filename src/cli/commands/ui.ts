import type { Command } from 'commander';
import { resolve } from 'node:path';
import { loadDesired, synthesizedOutDir } from '../../manifest/index.js';
import { LinkedError } from '../../model/errors.js';
import { parseListen, type ListenAddress } from '../../observe/http.js';
import { createUiHandler, dashboardToken, startUiServer } from '../../ui/server.js';
import { projectSource } from '../../ui/source.js';
import { withProjectOptions, type ProjectFlags } from '../command-options.js';
import { printJson } from '../run.js';

interface UiFlags extends ProjectFlags {
  listen: string;
  host?: string;
  port?: string;
  uiTokenSecret?: string;
}

/** `--listen host:port`, with `--host` / `--port` replacing either part. */
export function uiAddress(flags: { listen: string; host?: string; port?: string }): ListenAddress {
  const base = parseListen(flags.listen);
  if (flags.port !== undefined && !/^\d{1,5}$/.test(flags.port)) throw new LinkedError('INVALID_OPTION', `--port takes a number (e.g. 4000), got "${flags.port}".`);
  const port = flags.port !== undefined ? Number(flags.port) : base.port;
  if (port > 65535) throw new LinkedError('INVALID_OPTION', `--port must be at most 65535, got ${port}.`);
  return { host: flags.host?.trim() || base.host, port };
}

export function register(program: Command): void {
  withProjectOptions(
    program
      .command('ui')
      .description('a read-only web dashboard over the stack\'s state: audiences, runs, deliveries and dead letters, the apply log with commits, the Data Graph'),
  )
    .option('--listen <host:port>', 'where to serve the pages', '127.0.0.1:4000')
    .option('--host <host>', 'the host part of --listen')
    .option('--port <port>', 'the port part of --listen (0: any free port)')
    .option('--ui-token-secret <ENV_VAR>', 'require Authorization: Bearer <token>, the token read from this environment variable (needed off 127.0.0.1)')
    .addHelpText(
      'after',
      `
The pages read the state only: a DuckDB file is opened read-only for each page and let go after
it, so a running \`linked run\` keeps working. Every page has its JSON twin under /api (e.g.
/api/audiences); see docs/ui.md. To serve the pages from the daemon instead, use
\`linked run --listen 127.0.0.1:9464 --ui\`.

Examples:
  $ linked ui
  $ linked ui --port 4100
  $ LINKED_UI_TOKEN=$(openssl rand -hex 24) linked ui --listen 0.0.0.0:4000 --ui-token-secret LINKED_UI_TOKEN`,
    )
    .action(async (flags: UiFlags) => {
      const address = uiAddress(flags);
      const token = dashboardToken(address.host, flags.uiTokenSecret);
      const dir = resolve(flags.dir ?? process.cwd());
      const desired = await loadDesired(synthesizedOutDir(dir, flags.outDir), flags.stack);
      const source = projectSource(desired, dir);
      const server = await startUiServer(address, createUiHandler(source, { token }));
      const host = server.address.host.includes(':') ? `[${server.address.host}]` : server.address.host;
      const url = `http://${host}:${server.address.port}/`;
      if (flags.json) printJson({ url, stack: desired.stack, tokenRequired: token !== undefined });
      else process.stdout.write(`Serving the dashboard of stack ${desired.stack} on ${url} (read-only${token ? ', bearer token required' : ''}). Ctrl-C stops it.\n`);
      await new Promise<void>((done) => {
        const stop = () => void server.close().then(done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
