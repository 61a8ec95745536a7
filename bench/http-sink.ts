import { fork } from 'node:child_process';
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A keep-alive HTTP server that answers every request 200 `{}`: a destination that costs nothing. */
const SINK = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{}'); });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', (m) => { if (m === 'stop') server.close(() => process.exit(0)); });
`;

/**
 * Starts the sink in a separate process, so it shares neither the bench's event loop nor its RSS.
 * `url` is its origin (`http://127.0.0.1:<port>`), any path is answered.
 */
export async function startSink(dir: string): Promise<{ url: string; stop(): void }> {
  const file = join(dir, 'sink.cjs');
  writeFileSync(file, SINK);
  const child = fork(file, [], { stdio: 'ignore' });
  const port = await new Promise<number>((resolve) => child.once('message', (m: any) => resolve(m.port)));
  return { url: `http://127.0.0.1:${port}`, stop: () => child.send('stop') };
}

/**
 * The baselines' client: POSTs JSON bodies to `url` over at most `maxSockets` keep-alive
 * connections, reading each answer to its end; nothing else (no retries, no parsing).
 */
export function keepAlivePoster(url: string, maxSockets: number): { post(body: string): Promise<void>; close(): void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const target = new URL(url);
  const post = (body: string) =>
    new Promise<void>((resolve, reject) => {
      const req = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(body);
    });
  return { post, close: () => agent.destroy() };
}
