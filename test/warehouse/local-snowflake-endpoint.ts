/*
 * A local HTTP endpoint on 127.0.0.1 that speaks just enough of Snowflake's REST protocol
 * (login-request, query-request, session delete, telemetry) for snowflake-sdk to connect, run
 * statements and decode results. It is NOT Snowflake: it checks the driver wiring (auth request,
 * bindings, QUERY_TAG, result decoding, error classification), not SQL semantics.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';

export type LocalColumnType = 'text' | 'fixed' | 'real' | 'boolean' | 'date' | 'timestamp_ntz' | 'variant';

export interface LocalQueryRequest {
  sqlText: string;
  bindings?: Record<string, { type: string; value: unknown }>;
  parameters?: Record<string, unknown>;
  /** The session token sent in the Authorization header. */
  token?: string;
}

export type LocalQueryReply =
  | { columns: { name: string; type: LocalColumnType }[]; rows: unknown[][] }
  | { error: { code: string; message: string; sqlState: string } };

export interface LoginRecord {
  query: Record<string, string>;
  data: Record<string, unknown>;
}

export interface LocalSnowflake {
  url: string;
  logins: LoginRecord[];
  queries: LocalQueryRequest[];
  close(): Promise<void>;
}

export interface LocalSnowflakeOptions {
  /** Accepted password (password auth). */
  password?: string;
  /** Public key (PEM) whose private half must sign the JWT (key-pair auth). */
  publicKeyPem?: string;
  /** Answers each statement; default: an empty result. */
  onQuery?: (q: LocalQueryRequest) => LocalQueryReply;
}

const SESSION_TOKEN = 'local-session-token';

async function readJson(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  let body = Buffer.concat(chunks);
  if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
  return body.length ? JSON.parse(body.toString('utf8')) : {};
}

/** Encodes a JS value as Snowflake's JSON result format carries it (every value a string). */
function encode(value: unknown, type: LocalColumnType): string | null {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'boolean':
      return value ? '1' : '0';
    case 'date':
      return String(Math.floor(new Date(value as string).getTime() / 86_400_000));
    case 'timestamp_ntz':
      return (new Date(value as string).getTime() / 1000).toFixed(3);
    case 'variant':
      return JSON.stringify(value);
    default:
      return String(value);
  }
}

function verifyJwt(token: string, key: KeyObject): Record<string, unknown> | undefined {
  const [header, payload, signature] = token.split('.');
  if (!header || !payload || !signature) return undefined;
  const ok = verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'));
  return ok ? JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) : undefined;
}

function reply(res: import('node:http').ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export async function startLocalSnowflake(options: LocalSnowflakeOptions = {}): Promise<LocalSnowflake> {
  const logins: LoginRecord[] = [];
  const queries: LocalQueryRequest[] = [];
  const publicKey = options.publicKeyPem ? createPublicKey(options.publicKeyPem) : undefined;
  let queryCounter = 0;

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const body = await readJson(req).catch(() => ({}));
    if (url.pathname === '/session/v1/login-request') {
      const data = (body.data ?? {}) as Record<string, unknown>;
      logins.push({ query: Object.fromEntries(url.searchParams), data });
      const byPassword = data.AUTHENTICATOR === 'SNOWFLAKE' && options.password !== undefined && data.PASSWORD === options.password;
      const byKey =
        data.AUTHENTICATOR === 'SNOWFLAKE_JWT' && publicKey !== undefined && typeof data.TOKEN === 'string' && verifyJwt(data.TOKEN, publicKey) !== undefined;
      if (!byPassword && !byKey) {
        return reply(res, 200, { success: false, code: '390100', message: 'Incorrect username or password was specified.', data: null });
      }
      return reply(res, 200, {
        success: true,
        code: null,
        message: null,
        data: {
          token: SESSION_TOKEN,
          masterToken: 'local-master-token',
          validityInSeconds: 3600,
          masterValidityInSeconds: 14400,
          sessionId: 1,
          serverVersion: 'local',
          parameters: [{ name: 'TIMEZONE', value: 'UTC' }],
        },
      });
    }
    if (url.pathname === '/queries/v1/query-request') {
      const auth = String(req.headers.authorization ?? '');
      const q: LocalQueryRequest = {
        sqlText: body.sqlText,
        bindings: body.bindings,
        parameters: body.parameters,
        token: /Token="([^"]*)"/.exec(auth)?.[1],
      };
      queries.push(q);
      const queryId = `01b-local-${++queryCounter}`;
      const answer: LocalQueryReply = options.onQuery?.(q) ?? { columns: [], rows: [] };
      if ('error' in answer) {
        return reply(res, 200, {
          success: false,
          code: answer.error.code,
          message: answer.error.message,
          data: { queryId, sqlState: answer.error.sqlState, errorCode: answer.error.code, internalError: false },
        });
      }
      return reply(res, 200, {
        success: true,
        code: null,
        message: null,
        data: {
          parameters: [],
          rowtype: answer.columns.map((c) => ({
            name: c.name,
            type: c.type,
            nullable: true,
            scale: c.type === 'fixed' ? 0 : c.type === 'timestamp_ntz' ? 3 : null,
            precision: c.type === 'fixed' ? 38 : null,
            length: null,
            byteLength: null,
          })),
          rowset: answer.rows.map((r) => r.map((v, i) => encode(v, answer.columns[i].type))),
          total: answer.rows.length,
          returned: answer.rows.length,
          queryId,
          queryResultFormat: 'json',
          statementTypeId: 4096,
          version: 1,
        },
      });
    }
    // Session delete, telemetry and anything else the driver sends on the side.
    return reply(res, 200, { success: true, code: null, message: null, data: null });
  });

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    logins,
    queries,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
