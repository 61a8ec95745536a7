import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local GitHub REST server (127.0.0.1, port 0) implementing the endpoints src/github uses, with
 * GitHub's pagination (Link headers) and auth (401 "Bad credentials"). Every request is recorded
 * so tests can assert its method, path, query, auth header and body.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  accept: string | undefined;
  body: any;
}

export interface FakeComment {
  id: number;
  body: string;
  user: { login: string };
  html_url: string;
}

export interface FakePull {
  number: number;
  state: 'open' | 'closed';
  merged: boolean;
  draft: boolean;
  mergeable_state: string;
  head: { sha: string };
  user: { login: string };
  merge_commit_sha?: string | null;
  merged_at?: string | null;
  /** `mergeable` answered on successive reads; the last value repeats (GitHub computes it lazily). */
  mergeable: (boolean | null)[];
}

export interface FakeReview {
  user: { login: string };
  state: string;
  commit_id: string;
}

export class FakeGitHub {
  url = '';
  readonly requests: RecordedRequest[] = [];
  readonly comments = new Map<number, FakeComment[]>();
  readonly statuses: { sha: string; state: string; context: string; description?: string; target_url?: string }[] = [];
  readonly pulls = new Map<number, FakePull>();
  readonly reviews = new Map<number, FakeReview[]>();
  /** commit sha -> pull request numbers GitHub associates with it. */
  readonly commitPulls = new Map<string, number[]>();
  /** Pages are cut at this size whatever per_page asks, so tests reach page 2 and beyond with a few items. */
  maxPerPage = 100;
  /** A hostile server: error bodies echo the Authorization header (to prove we redact what we are sent back). */
  echoAuthorizationOnError = false;
  /** Force this status on every request (e.g. 500 or 403). */
  failWith: { status: number; message: string } | undefined;
  /** Answer the next requests with these, one each, in order (a 502 that passes, a rate limit with its headers). */
  failNext: { status: number; message: string; headers?: Record<string, string> }[] = [];
  private nextId = 1000;
  private pullReads = new Map<number, number>();
  private server: Server | undefined;

  constructor(readonly token: string, readonly owner = 'acme', readonly repo = 'audiences') {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** Requests to one route (method and path pattern), in order. */
  calls(method: string, path: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && path.test(r.path));
  }

  addComment(issue: number, body: string, login = 'someone'): FakeComment {
    const c = { id: this.nextId++, body, user: { login }, html_url: `https://github.test/${this.owner}/${this.repo}/pull/${issue}#c${this.nextId}` };
    this.comments.set(issue, [...(this.comments.get(issue) ?? []), c]);
    return c;
  }

  addPull(p: Partial<FakePull> & { number: number }): FakePull {
    const pull: FakePull = {
      state: 'open', merged: false, draft: false, mergeable_state: 'clean', head: { sha: 'a'.repeat(40) }, user: { login: 'author' },
      mergeable: [true], merge_commit_sha: null, merged_at: null, ...p,
    };
    this.pulls.set(p.number, pull);
    return pull;
  }

  addReview(pr: number, login: string, state: string): void {
    this.reviews.set(pr, [...(this.reviews.get(pr) ?? []), { user: { login }, state, commit_id: 'a'.repeat(40) }]);
  }

  pullReadCount(pr: number): number {
    return this.pullReads.get(pr) ?? 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.url);
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authorization: req.headers.authorization,
      accept: req.headers.accept,
      body: raw ? JSON.parse(raw) : undefined,
    };
    this.requests.push(record);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };
    const fail = (status: number, message: string, headers?: Record<string, string>) =>
      send(status, { message: this.echoAuthorizationOnError ? `${message} (you sent: ${record.authorization})` : message, documentation_url: 'https://docs.github.com/rest' }, headers);

    if (record.authorization !== `token ${this.token}`) return fail(401, 'Bad credentials');
    if (this.failWith) return fail(this.failWith.status, this.failWith.message);
    const next = this.failNext.shift();
    if (next) return fail(next.status, next.message, next.headers);

    const repoPrefix = `/repos/${this.owner}/${this.repo}`;
    if (!url.pathname.startsWith(repoPrefix + '/')) return fail(404, 'Not Found');
    const route = url.pathname.slice(repoPrefix.length);
    let m: RegExpExecArray | null;

    if ((m = /^\/issues\/(\d+)\/comments$/.exec(route))) {
      const issue = Number(m[1]);
      if (record.method === 'GET') return this.page(res, url, this.comments.get(issue) ?? [], send);
      if (record.method === 'POST') {
        if (typeof record.body?.body !== 'string') return fail(422, 'body is required');
        return send(201, this.addComment(issue, record.body.body, 'github-actions[bot]'));
      }
    }
    if ((m = /^\/issues\/comments\/(\d+)$/.exec(route)) && record.method === 'PATCH') {
      const id = Number(m[1]);
      for (const list of this.comments.values()) {
        const c = list.find((x) => x.id === id);
        if (c) {
          c.body = record.body.body;
          return send(200, c);
        }
      }
      return fail(404, 'Not Found');
    }
    if ((m = /^\/statuses\/([0-9a-f]+)$/.exec(route)) && record.method === 'POST') {
      const { state, context, description, target_url } = record.body ?? {};
      if (!['error', 'failure', 'pending', 'success'].includes(state)) return fail(422, 'Validation Failed');
      if (typeof description === 'string' && description.length > 140) return fail(422, 'description is too long (maximum is 140 characters)');
      const s = { sha: m[1]!, state, context, description, target_url };
      this.statuses.push(s);
      return send(201, { id: this.nextId++, ...s });
    }
    if ((m = /^\/pulls\/(\d+)$/.exec(route)) && record.method === 'GET') {
      const n = Number(m[1]);
      const p = this.pulls.get(n);
      if (!p) return fail(404, 'Not Found');
      const reads = this.pullReads.get(n) ?? 0;
      this.pullReads.set(n, reads + 1);
      const mergeable = p.mergeable[Math.min(reads, p.mergeable.length - 1)] ?? null;
      const { mergeable: _seq, ...rest } = p;
      return send(200, { ...rest, mergeable, mergeable_state: mergeable === null ? 'unknown' : p.mergeable_state });
    }
    if ((m = /^\/pulls\/(\d+)\/reviews$/.exec(route)) && record.method === 'GET') {
      const n = Number(m[1]);
      if (!this.pulls.has(n)) return fail(404, 'Not Found');
      return this.page(res, url, (this.reviews.get(n) ?? []).map((r, i) => ({ id: i + 1, ...r })), send);
    }
    if ((m = /^\/commits\/([0-9a-f]+)\/pulls$/.exec(route)) && record.method === 'GET') {
      const numbers = this.commitPulls.get(m[1]!) ?? [];
      return send(200, numbers.map((n) => this.pulls.get(n)).filter(Boolean).map((p) => ({ ...p!, mergeable: undefined })));
    }
    return fail(404, 'Not Found');
  }

  private page(res: ServerResponse, url: URL, items: unknown[], send: (s: number, b: unknown, h?: Record<string, string>) => void): void {
    const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), this.maxPerPage);
    const page = Number(url.searchParams.get('page') ?? 1);
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {};
    if (page * perPage < items.length) {
      const next = new URL(url);
      next.searchParams.set('page', String(page + 1));
      headers.link = `<${next.toString()}>; rel="next"`;
    }
    send(200, slice, headers);
  }
}
