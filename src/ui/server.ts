import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { STATUSES } from '../compute/types.js';
import { isLinkedError, LinkedError } from '../model/errors.js';
import { isLoopback, loopbackHost, sentByAnotherSite, type ListenAddress } from '../observe/http.js';
import { maskSecretValues, redactSecrets } from '../secrets.js';
import { audienceData, audiencesData, auditData, deliveriesData, graphData, runData, runsData, traceData, whyData } from './data.js';
import { html, type Html } from './html.js';
import { page, STYLESHEET, type Section } from './layout.js';
import { audiencePage } from './pages/audience.js';
import { audiencesPage } from './pages/audiences.js';
import { auditPage } from './pages/audit.js';
import { deliveriesForm, deliveriesPage } from './pages/deliveries.js';
import { graphPage } from './pages/graph.js';
import { runPage, runsPage } from './pages/runs.js';
import { traceForm, tracePage } from './pages/trace.js';
import { whyPage } from './pages/why.js';
import { requireCurrentState, type UiSource } from './source.js';

/*
 * The dashboard's HTTP handler (node:http): GET and HEAD only, every page and its JSON twin under
 * /api, rendered on the server from the state. Nothing here writes (decision D16); the source
 * hands out a warehouse that refuses writes besides.
 */

/** No script, no frame, nothing from elsewhere: the pages are HTML, one stylesheet and inline SVG. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
} as const;

export interface UiOptions {
  /** When set, every request must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** How many rows a list shows (runs, sent events, dead letters, applies); the page says when it cuts one. */
  listLimit?: number;
}

type Answer = { status: number; type: 'html' | 'json' | 'css'; body: string } | { status: 302; type: 'redirect'; location: string };

class NotFound extends Error {}

const SECTIONS = new Set(['audiences', 'runs', 'deliveries', 'audit', 'graph', 'trace', 'why']);
/** Sections with a page per item (`/audiences/<key>`, `/runs/<id>`, `/trace/<messageId>`). */
const WITH_ID = new Set(['audiences', 'runs', 'trace']);
/** What `linked trace` and `linked why` refuse for an id or key that names nothing: the page says it beside its form. */
const NOT_FOUND_CODES = new Set(['TRACE_NOT_FOUND', 'PROFILE_NOT_FOUND', 'AUDIENCE_NOT_APPLIED', 'EMITTER_NOT_FOUND', 'NOTHING_APPLIED']);
const notFound = (e: unknown): string | undefined => (isLinkedError(e) && NOT_FOUND_CODES.has(e.code) ? `[${e.code}] ${e.message}` : undefined);

/** The API's error object, for every refusal and failure under /api. */
const apiError = (status: number, message: string) => JSON.stringify({ error: { status, message } }, null, 2);

const param = (url: URL, name: string) => url.searchParams.get(name)?.trim() || undefined;

export type UiHandler = (req: IncomingMessage, res: ServerResponse) => void;

export function createUiHandler(source: UiSource, options: UiOptions = {}): UiHandler {
  const context = `stack ${source.stack ?? 'all'} · state ${source.schema}`;
  const htmlPage = (title: string, section: Section | undefined, body: Html) => page({ title, section, context }, body).text;

  const route = async (url: URL): Promise<Answer> => {
    const parts = url.pathname.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
    const api = parts[0] === 'api';
    const [what, id, ...rest] = api ? parts.slice(1) : parts;
    if (rest.length > 0) throw new NotFound();
    const answer = (title: string, section: Section | undefined, data: unknown, render: () => Html, status = 200): Answer =>
      api ? { status, type: 'json', body: JSON.stringify(data, null, 2) } : { status, type: 'html', body: htmlPage(title, section, render()) };
    /**
     * Answers what `read` gives; an id or key that names nothing (`notFound`) is the API's 404, or
     * the page `missing` makes, with the refusal beside its form.
     */
    const orNotFound = async (read: () => Promise<Answer>, missing: (message: string) => Answer | Promise<Answer>): Promise<Answer> => {
      try {
        return await read();
      } catch (e) {
        const message = notFound(e);
        if (message === undefined || api) throw message === undefined ? e : new NotFound(message);
        return missing(message);
      }
    };
    if (!api && what === 'assets' && id === 'ui.css') return { status: 200, type: 'css', body: STYLESHEET };
    if (!api && what === undefined) return { status: 302, type: 'redirect', location: '/audiences' };
    if (!SECTIONS.has(what ?? '') || (id !== undefined && !WITH_ID.has(what!))) throw new NotFound();
    return source.read(async (wh) => {
      await requireCurrentState(wh, source.schema);
      switch (what) {
        case 'audiences': {
          if (id !== undefined) {
            const d = await audienceData(wh, source, id);
            if (!d) throw new NotFound(`No applied audience ${id}.`);
            return answer(d.audience.name || id, '/audiences', d, () => audiencePage(d));
          }
          const status = param(url, 'status');
          const filter = { q: param(url, 'q'), status: status && (STATUSES as readonly string[]).includes(status) ? status : undefined };
          const d = await audiencesData(wh, source, filter);
          return answer('Audiences', '/audiences', d, () => audiencesPage(d, filter));
        }
        case 'runs': {
          if (id !== undefined) {
            const d = await runData(wh, source, id);
            if (!d) throw new NotFound(`No run ${id}.`);
            return answer(`Run ${id.slice(0, 8)}`, '/runs', d, () => runPage(d));
          }
          const audience = param(url, 'audience');
          return orNotFound(
            async () => {
              const d = await runsData(wh, source, { audience, limit: options.listLimit });
              return answer('Runs', '/runs', d, () => runsPage(d.runs, audience, d.more));
            },
            (message) => answer('Runs', '/runs', {}, () => runsPage([], audience, false, message), 404),
          );
        }
        case 'deliveries': {
          const f = { emitter: param(url, 'emitter'), user: param(url, 'user'), event: param(url, 'event') };
          return orNotFound(
            async () => {
              const d = await deliveriesData(wh, source, f, options.listLimit);
              return answer('Deliveries', '/deliveries', d, () => deliveriesPage(d, f));
            },
            (message) => answer('Deliveries', '/deliveries', {}, () => html`<h1>Deliveries</h1>${deliveriesForm(f)}<p class="error" role="alert">${message}</p>`, 404),
          );
        }
        case 'audit': {
          const resource = param(url, 'resource');
          const d = await auditData(wh, source, { resource, limit: options.listLimit });
          return answer('Audit', '/audit', d, () => auditPage(d.entries, d.joinedWithGit, resource, d.more));
        }
        case 'graph': {
          const d = await graphData(wh, source);
          return answer('Data Graph', '/graph', d, () => graphPage(d));
        }
        case 'trace': {
          const traced = id ?? param(url, 'id');
          if (traced === undefined) return answer('Trace', '/deliveries', {}, () => html`<h1>Trace an event</h1>${traceForm(undefined)}`);
          return orNotFound(
            async () => {
              const d = await traceData(wh, source, traced);
              return answer(`Trace ${traced.slice(0, 12)}`, '/deliveries', d, () => html`${tracePage(d)}${traceForm(undefined)}`);
            },
            (message) => answer('Trace', '/deliveries', {}, () => html`<h1>Trace an event</h1>${traceForm(traced, message)}`, 404),
          );
        }
        case 'why': {
          const form = { audience: param(url, 'audience'), user: param(url, 'user') };
          return orNotFound(
            async () => {
              const d = await whyData(wh, source, form);
              return answer(d.why ? `Why ${d.why.profileId}` : 'Why', '/audiences', d, () => whyPage(d));
            },
            async (message) => {
              const d = await whyData(wh, source, {});
              return answer('Why', '/audiences', d, () => whyPage({ ...d, form }, message), 404);
            },
          );
        }
      }
      throw new NotFound();
    });
  };

  const authorized = (req: IncomingMessage): boolean => {
    if (options.token === undefined) return true;
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (!m) return false;
    // Digests of equal length, compared in constant time: neither the token nor its length shows in the answer's timing.
    const digest = (text: string) => createHash('sha256').update(text).digest();
    return timingSafeEqual(digest(m[1]!.trim()), digest(options.token));
  };

  // Masked in every body: a name or a stored response could quote a secret; the token is one too.
  const secrets = [...source.secrets(), options.token];
  const mask = (body: string) => redactSecrets(maskSecretValues(body, secrets));

  const send = (req: IncomingMessage, res: ServerResponse, a: Answer) => {
    if (a.type === 'redirect') {
      res.writeHead(302, { ...SECURITY_HEADERS, location: a.location }).end();
      return;
    }
    const type = a.type === 'html' ? 'text/html; charset=utf-8' : a.type === 'json' ? 'application/json; charset=utf-8' : 'text/css; charset=utf-8';
    const body = mask(a.body);
    res.writeHead(a.status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const failure = (url: URL, status: number, title: string, message: string): Answer =>
    url.pathname.startsWith('/api/')
      ? { status, type: 'json', body: apiError(status, message) }
      : { status, type: 'html', body: htmlPage(title, undefined, html`<h1>${title}</h1><p>${message}</p><p><a href="/audiences">Audiences</a></p>`) };

  /** A request refused before it is routed: the API's error object under /api, as every API error; text elsewhere. */
  const refuse = (req: IncomingMessage, res: ServerResponse, status: number, message: string, headers: Record<string, string>) => {
    const api = /^\/api(\/|\?|$)/.test(req.url ?? '');
    const body = `${api ? apiError(status, message) : message}\n`;
    res.writeHead(status, { ...SECURITY_HEADERS, ...headers, 'content-type': api ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8' });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      refuse(req, res, 405, 'The dashboard is read-only: changes go through git, plan and apply.', { allow: 'GET, HEAD' });
      return;
    }
    if (options.token === undefined && !loopbackHost(req.headers.host)) {
      // Without a token the dashboard listens on loopback only (dashboardToken), so a browser
      // reaching it under another name was pointed there by DNS (rebinding): a page of any site
      // could then read every page of the dashboard as its own origin.
      refuse(req, res, 421, 'Without a token the dashboard answers only to a loopback name (127.0.0.1, localhost, [::1]): open it by one, or serve it with --ui-token-secret.', {});
      return;
    }
    if (sentByAnotherSite(req.headers)) {
      // A page elsewhere cannot read the answer, but each request would still cost the warehouse
      // its query (a why, a trace, a search): it is refused before anything is read.
      refuse(req, res, 403, 'The dashboard answers only its own pages: a page of another site asked for this. Open the dashboard by its address, or follow a link to it.', {});
      return;
    }
    if (!authorized(req)) {
      refuse(req, res, 401, 'A bearer token is required: send Authorization: Bearer <token>.', { 'www-authenticate': 'Bearer realm="linked"' });
      return;
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://ui.invalid');
    } catch {
      res.writeHead(400, SECURITY_HEADERS).end();
      return;
    }
    route(url).then(
      (a) => send(req, res, a),
      (e: unknown) => {
        if (e instanceof NotFound || e instanceof URIError) return send(req, res, failure(url, 404, 'Not found', (e instanceof NotFound && e.message) || `Nothing at ${url.pathname}.`));
        const message = isLinkedError(e) ? `[${e.code}] ${e.message}` : `The state could not be read: ${(e as Error)?.message ?? String(e)}`;
        const unavailable = isLinkedError(e) && ['WAREHOUSE_BUSY', 'STATE_MISSING', 'STATE_OUTDATED', 'STATE_TOO_NEW'].includes(e.code);
        send(req, res, failure(url, unavailable ? 503 : 500, 'The page could not be read', message));
      },
    );
  };
}

export interface UiServer {
  address: ListenAddress;
  close(): Promise<void>;
}

/** `linked ui`: the handler on its own server. */
export async function startUiServer(address: ListenAddress, handler: UiHandler): Promise<UiServer> {
  const server: Server = createServer(handler);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new LinkedError('LISTEN_FAILED', e.code === 'EADDRINUSE' ? `${address.host}:${address.port} is in use; pick another port with --listen.` : `${address.host}:${address.port}: ${e.message}`)),
    );
    server.listen(address.port, address.host, () => resolve());
  });
  return {
    address: { host: address.host, port: (server.address() as AddressInfo).port },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The token from its secret reference (decision D9: an environment variable, named, never given
 * as a value). A dashboard reachable beyond this machine must ask for one.
 */
export function dashboardToken(host: string, secretName: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (secretName !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(secretName)) {
    throw new LinkedError('INVALID_OPTION', `--ui-token-secret takes the name of an environment variable holding the token (e.g. LINKED_UI_TOKEN), got "${secretName}".`);
  }
  const token = secretName === undefined ? undefined : env[secretName];
  if (secretName !== undefined && !token) {
    throw new LinkedError('SECRET_MISSING', `The secret ${secretName} is not set: export the dashboard's token in ${secretName}.`);
  }
  if (token !== undefined && token.length < 16) {
    throw new LinkedError('INVALID_OPTION', `The token in ${secretName} is too short to guard the dashboard: use 16 characters or more (e.g. openssl rand -hex 24).`);
  }
  if (!token && !isLoopback(host)) {
    throw new LinkedError(
      'INVALID_OPTION',
      `The dashboard would be reachable beyond this machine (${host}) without a token: add --ui-token-secret LINKED_UI_TOKEN with the token in that variable, or listen on 127.0.0.1.`,
    );
  }
  return token || undefined;
}
