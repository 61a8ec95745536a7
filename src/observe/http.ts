import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LinkedError } from '../model/errors.js';
import type { DaemonHealth } from './health.js';
import type { DaemonMetrics } from './metrics.js';

export interface ListenAddress {
  host: string;
  port: number;
}

/** `host:port`, `:port` or `port` (host 127.0.0.1: the endpoint is not public unless asked). */
export function parseListen(value: string): ListenAddress {
  const m = /^(?:(\[[^\]]+\]|[^:]*):)?(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) {
    throw new LinkedError('INVALID_OPTION', `--listen takes host:port (e.g. 127.0.0.1:9464, or 0.0.0.0:9464 in a container), got "${value}".`);
  }
  const host = (m[1] ?? '').replace(/^\[|\]$/g, '') || '127.0.0.1';
  return { host, port };
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

/** A listen address or host name that stays on this machine. */
export const isLoopback = (host: string): boolean => LOOPBACK.test(host);

/** A Host header naming this machine by a loopback name (any port): `127.0.0.1:4000`, `localhost`, `[::1]:4000`, `x.localhost`. */
export function loopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::\d+)?$/.exec(host.trim());
  const name = (m?.[1] ?? m?.[2] ?? '').replace(/\.$/, '');
  return isLoopback(name) || /\.localhost$/i.test(name);
}

/**
 * Whether a browser sent the request for a page of another origin: an image, a frame, a script's
 * fetch or a form of a page elsewhere, which the user's browser sends to a local server as readily
 * as to any. Read from the Fetch Metadata a browser adds (`Sec-Fetch-Site`); a person opening the
 * address (`none`) or following a link to it (a top-level navigation, one page in the user's own
 * tab) is not refused. A browser without Fetch Metadata is judged by its Origin header, when it
 * sends one. A client that is no browser (curl, Prometheus, scripts) sends neither and is let through.
 */
export function sentByAnotherSite(headers: IncomingHttpHeaders): boolean {
  const site = headers['sec-fetch-site'];
  if (site !== undefined) {
    if (site === 'same-origin' || site === 'none') return false;
    return !(headers['sec-fetch-mode'] === 'navigate' && headers['sec-fetch-dest'] === 'document');
  }
  if (headers.origin === undefined) return false;
  try {
    return new URL(headers.origin).host !== headers.host;
  } catch {
    return true; // `Origin: null`: a sandboxed frame, a file, a redirect across origins
  }
}

export interface ObserveServer {
  /** The bound address (the port is the real one when 0 was asked). */
  address: ListenAddress;
  close(): Promise<void>;
}

/** What answers the paths the endpoint does not own (the dashboard, when `linked run --ui` mounts it). */
export type OtherPaths = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The daemon's endpoint, on node:http: `/healthz` (liveness), `/readyz` (readiness), `/metrics`
 * (Prometheus text format). Answers 503 with the reason when not healthy or not ready. Other
 * paths go to `otherPaths` when given, else 404.
 */
export async function startObserveServer(address: ListenAddress, health: DaemonHealth, metrics: DaemonMetrics, otherPaths?: OtherPaths): Promise<ObserveServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const own = path === '/healthz' || path === '/readyz' || path === '/metrics';
    if (own && isLoopback(address.host) && !loopbackHost(req.headers.host)) {
      // Bound to loopback, the endpoint is for this machine: a browser sending another name was
      // pointed here by DNS (rebinding), and a page of any site could read the metrics.
      res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8' }).end('listening on loopback: ask by a loopback name (127.0.0.1, localhost, [::1])\n');
      return;
    }
    if (path === '/healthz' || path === '/readyz') {
      const verdict = path === '/healthz' ? health.live() : health.ready();
      metrics.setReady(health.ready().ok);
      res.writeHead(verdict.ok ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' }).end(`${verdict.ok ? 'ok' : 'not ok'}: ${verdict.reason}\n`);
      return;
    }
    if (path === '/metrics') {
      metrics.setReady(health.ready().ok);
      metrics.text().then(
        (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
        (e: Error) => res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`metrics failed: ${e.message}\n`),
      );
      return;
    }
    if (otherPaths) return otherPaths(req, res);
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: try /healthz, /readyz or /metrics\n');
  });
  // Scrapers keep connections alive; a daemon that stops must not wait for them.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE'
          ? new LinkedError('LISTEN_FAILED', `--listen ${address.host}:${address.port}: the address is in use; pick another port.`)
          : new LinkedError('LISTEN_FAILED', `--listen ${address.host}:${address.port}: ${e.message}`),
      ),
    );
    server.listen(address.port, address.host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return {
    address: { host: address.host, port: bound.port },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
