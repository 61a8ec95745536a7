/*
 * A Snowflake emulation for tests: a local HTTP server on 127.0.0.1 that speaks the part of
 * Snowflake's REST protocol snowflake-sdk uses (login with password or key-pair JWT, query-request
 * with positional binds and statement parameters, session delete, telemetry) and EXECUTES each
 * statement on an embedded DuckDB after translating it (translate.ts). Point a Snowflake
 * warehouse config's `accessUrl` at `url`. What it proves and what it cannot: docs/warehouses.md.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createPublicKey, randomUUID, verify, type KeyObject } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { Engine, snowflakeErrorOf, type Session, type StatementResult } from './engine.js';
import type { Bind } from './translate.js';
import type { LockEvent } from './locks.js';

export { Engine } from './engine.js';
export { translate } from './translate.js';
export { encodeName, decodeName } from './names.js';

export interface EmulatedQuery {
  sqlText: string;
  binds: Bind[];
  /** Statement-level session parameters (QUERY_TAG travels here). */
  parameters?: Record<string, unknown>;
  sessionId: number;
  queryId: string;
  /** Set when the statement failed: Snowflake's error code. */
  errorCode?: string;
}

export interface EmulatedLogin {
  query: Record<string, string>;
  data: Record<string, unknown>;
  accepted: boolean;
}

/**
 * A failure the emulation injects into the next request that matches (then forgets it): what a
 * real account does now and then and a test cannot wait for.
 * - `reset`: the connection is closed without an answer (the driver sees ECONNRESET);
 * - `expire-session`: the session's token has expired (390114), and the session is gone;
 * - `delay`: the answer comes `ms` later (a statement still counts against its timeout);
 * - `error`: Snowflake answers with this error.
 */
export type EmulatedFault = { on: 'login' | 'query'; match?: RegExp } & (
  | { action: 'reset' }
  | { action: 'expire-session' }
  | { action: 'delay'; ms: number }
  | { action: 'error'; code: string; sqlState: string; message: string }
);

export interface SnowflakeEmulator {
  url: string;
  /** Queues a one-time fault (see EmulatedFault). */
  inject(fault: EmulatedFault): void;
  /** Forgets the queued faults no request took, so they do not fall on a later test's requests. */
  clearFaults(): void;
  logins: EmulatedLogin[];
  queries: EmulatedQuery[];
  /** Sessions open now (deleted ones are gone). */
  openSessions(): number;
  /** Every table lock granted, waited for or refused (locks.ts), in order. */
  lockEvents: LockEvent[];
  /** Runs a statement on a fresh session of `database`.`schema`, outside any client: to set up data. */
  seed(sql: string, binds?: Bind[], database?: string, schema?: string): Promise<StatementResult>;
  close(): Promise<void>;
}

export interface SnowflakeEmulatorOptions {
  /** Accepted password (password auth). */
  password?: string;
  /** Public key (PEM) whose private half must sign the JWT (key-pair auth). */
  publicKeyPem?: string;
  /**
   * Refused logins echo the credentials they were given in the message, as some gateways and
   * proxies do: for tests that nothing the adapter prints or stores carries a secret.
   */
  echoCredentials?: boolean;
  /** Widens race windows: see EngineOptions.dmlLatencyMs. */
  dmlLatencyMs?: number;
  /**
   * Holds every statement's answer this long after it ran: a real account's network round trip
   * (tens to a few hundred ms), for benches that count what a statement costs there.
   */
  roundTripMs?: number;
  /**
   * The roles granted to the user: a login naming another is refused (390189), as Snowflake
   * refuses it. Unset: any role.
   */
  roles?: string[];
  /**
   * The warehouses that exist and the user's role may use. Snowflake accepts a login naming another
   * and refuses each query and DML statement of the session (000606); DDL and session statements
   * need no warehouse. Unset: any warehouse.
   */
  warehouses?: string[];
  /**
   * The databases that exist and the role may use. Snowflake accepts a login naming another and
   * the session has no current database: a statement fails with 090105, a look into that
   * database's INFORMATION_SCHEMA with 002003. Coarse: every statement but session and
   * transaction control fails, even one naming another database in full. Unset: any database
   * (created at login).
   */
  databases?: string[];
}

/** Statements that need no current database. */
const WITHOUT_DATABASE = /^\s*(USE|ALTER\s+SESSION|BEGIN|START|COMMIT|ROLLBACK)\b/i;

/** Statements that need a running warehouse: queries and DML (DDL, USE, ALTER SESSION and transaction control do not). */
const NEEDS_WAREHOUSE = /^\s*(\(|SELECT|WITH|INSERT|UPDATE|DELETE|MERGE)\b/i;

interface LiveSession {
  id: number;
  session: Session;
  /** The login named a warehouse that does not exist or that its role may not use. */
  noWarehouse: boolean;
  /** The login named a database that does not exist or that its role may not use. */
  noDatabase?: string;
  /**
   * The session parameters the driver set at login (JS_TREAT_INTEGER_AS_BIGINT...): Snowflake
   * returns them with every result, and the driver reads how to convert values from there.
   */
  client: Record<string, unknown>;
}

async function readJson(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  let body = Buffer.concat(chunks);
  if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
  return body.length ? JSON.parse(body.toString('utf8')) : {};
}

function reply(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const SESSION_EXPIRED = { success: false, code: '390114', message: 'Authentication token has expired.  The user must authenticate again.', data: null };

function statementTimeout(seconds: number) {
  return { code: '000630', sqlState: '57014', message: `Statement reached its statement or warehouse timeout of ${seconds} second(s) and was canceled.` };
}

function verifyJwt(token: string, key: KeyObject): boolean {
  const [header, payload, signature] = token.split('.');
  if (!header || !payload || !signature) return false;
  return verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'));
}

/** The driver sends binds as {"1": {type, value}, "2": ...}. */
function bindsOf(bindings: Record<string, { type: string; value: unknown }> | undefined): Bind[] {
  if (!bindings) return [];
  return Object.keys(bindings)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => ({ type: bindings[k].type, value: bindings[k].value }));
}

function resultBody(result: StatementResult, queryId: string, parameters: Record<string, unknown>) {
  return {
    success: true,
    code: null,
    message: null,
    data: {
      parameters: Object.entries(parameters).map(([name, value]) => ({ name, value })),
      rowtype: result.columns.map((c) => ({
        name: c.name,
        type: c.type,
        nullable: true,
        scale: c.scale,
        precision: c.type === 'fixed' ? 38 : null,
        length: null,
        byteLength: null,
      })),
      rowset: result.rows,
      total: result.rows.length,
      returned: result.rows.length,
      queryId,
      queryResultFormat: 'json',
      statementTypeId: 4096,
      version: 1,
    },
  };
}

export async function startSnowflakeEmulator(options: SnowflakeEmulatorOptions = {}): Promise<SnowflakeEmulator> {
  const engine = await Engine.create({ dmlLatencyMs: options.dmlLatencyMs });
  const logins: EmulatedLogin[] = [];
  const queries: EmulatedQuery[] = [];
  const sessions = new Map<string, LiveSession>();
  const faults: EmulatedFault[] = [];
  const takeFault = (on: EmulatedFault['on'], text: string): EmulatedFault | undefined => {
    const i = faults.findIndex((f) => f.on === on && (!f.match || f.match.test(text)));
    return i < 0 ? undefined : faults.splice(i, 1)[0];
  };
  const publicKey = options.publicKeyPem ? createPublicKey(options.publicKeyPem) : undefined;
  let sessionCounter = 0;

  async function login(url: URL, body: any): Promise<unknown> {
    const data = (body.data ?? {}) as Record<string, unknown>;
    const byPassword = data.AUTHENTICATOR === 'SNOWFLAKE' && options.password !== undefined && data.PASSWORD === options.password;
    const byKey = data.AUTHENTICATOR === 'SNOWFLAKE_JWT' && publicKey !== undefined && typeof data.TOKEN === 'string' && verifyJwt(data.TOKEN, publicKey);
    logins.push({ query: Object.fromEntries(url.searchParams), data, accepted: byPassword || byKey });
    // Refused logins carry SQLSTATE 08004 (connection rejected): a class that also holds transient failures.
    if (!byPassword && !byKey) {
      const echoed = options.echoCredentials ? ` (user ${String(data.LOGIN_NAME)}, password ${String(data.PASSWORD)}, token ${String(data.TOKEN)})` : '';
      if (data.AUTHENTICATOR === 'SNOWFLAKE_JWT') return { success: false, code: '390144', message: `JWT token is invalid.${echoed}`, data: { sqlState: '08004' } };
      return { success: false, code: '390100', message: `Incorrect username or password was specified.${echoed}`, data: { sqlState: '08004' } };
    }
    const role = url.searchParams.get('roleName');
    if (role && options.roles && !options.roles.includes(role)) {
      logins.at(-1)!.accepted = false;
      return {
        success: false,
        code: '390189',
        message: `Role '${role}' specified in the connect string does not exist or not authorized. Contact your local system administrator, or attempt to login with another role, e.g. PUBLIC.`,
        data: { sqlState: '08004' },
      };
    }
    const warehouse = url.searchParams.get('warehouse');
    const database = url.searchParams.get('databaseName') ?? 'EMULATED';
    const schema = url.searchParams.get('schemaName') ?? 'PUBLIC';
    const session = await engine.openSession(database, schema);
    const id = ++sessionCounter;
    const token = `emulated-session-${id}-${randomUUID()}`;
    const noDatabase = options.databases && !options.databases.includes(database) ? database : undefined;
    const client = (data.SESSION_PARAMETERS ?? {}) as Record<string, unknown>;
    sessions.set(token, { id, session, noWarehouse: !!warehouse && !!options.warehouses && !options.warehouses.includes(warehouse), noDatabase, client });
    return {
      success: true,
      code: null,
      message: null,
      data: {
        token,
        masterToken: `emulated-master-${id}`,
        validityInSeconds: 3600,
        masterValidityInSeconds: 14400,
        sessionId: id,
        serverVersion: 'emulated',
        parameters: Object.entries(session.parameters).map(([name, value]) => ({ name, value })),
        sessionInfo: { databaseName: database, schemaName: schema, warehouseName: url.searchParams.get('warehouse'), roleName: url.searchParams.get('roleName') },
      },
    };
  }

  async function query(req: IncomingMessage, body: any): Promise<unknown> {
    const token = /Token="([^"]*)"/.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
    const live = sessions.get(token);
    if (!live) return { success: false, code: '390104', message: 'Session no longer exists.  New login required to access the service.', data: null };
    const queryId = `01b-emulated-${randomUUID()}`;
    const q: EmulatedQuery = { sqlText: String(body.sqlText ?? ''), binds: bindsOf(body.bindings), parameters: body.parameters, sessionId: live.id, queryId };
    queries.push(q);
    const failed = (err: { code: string; sqlState: string; message: string }) => {
      q.errorCode = err.code;
      return { success: false, code: err.code, message: err.message, data: { queryId, sqlState: err.sqlState, errorCode: err.code, internalError: false } };
    };
    const fault = takeFault('query', q.sqlText);
    if (fault?.action === 'expire-session') {
      sessions.delete(token);
      await live.session.close();
      q.errorCode = SESSION_EXPIRED.code;
      return SESSION_EXPIRED;
    }
    if (fault?.action === 'error') return failed(fault);
    if (live.noDatabase !== undefined && !WITHOUT_DATABASE.test(q.sqlText)) {
      if (q.sqlText.includes(`"${live.noDatabase}"."INFORMATION_SCHEMA"`)) {
        return failed({ code: '002003', sqlState: '02000', message: `SQL compilation error:\nDatabase '${live.noDatabase}' does not exist or not authorized.` });
      }
      const verb = /^\s*(\w+)(\s+SCHEMA|\s+TABLE|\s+VIEW)?/i.exec(q.sqlText);
      const what = verb ? `${verb[1]!.toUpperCase()}${(verb[2] ?? '').toUpperCase()}` : 'statement';
      return failed({ code: '090105', sqlState: '22000', message: `Cannot perform ${what}. This session does not have a current database. Call 'USE DATABASE', or use a qualified name.` });
    }
    if (live.noWarehouse && NEEDS_WAREHOUSE.test(q.sqlText)) {
      return failed({ code: '000606', sqlState: '57P03', message: "No active warehouse selected in the current session.  Select an active warehouse with the 'use warehouse' command." });
    }
    const run = async () => {
      if (fault?.action === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
      return live.session.execute(q.sqlText, q.binds, body.parameters ?? {}, queryId);
    };
    // STATEMENT_TIMEOUT_IN_SECONDS cancels the statement (the emulation stops waiting for it).
    const timeoutSeconds = Number(body.parameters?.STATEMENT_TIMEOUT_IN_SECONDS ?? 0);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => {
      if (timeoutSeconds > 0) timer = setTimeout(() => r('timeout'), timeoutSeconds * 1000);
    });
    try {
      const result = await Promise.race([run(), timedOut]);
      if (result === 'timeout') return failed(statementTimeout(timeoutSeconds));
      return resultBody(result, queryId, { ...live.client, ...live.session.parameters });
    } catch (e) {
      return failed(snowflakeErrorOf(e));
    } finally {
      clearTimeout(timer);
      if (options.roundTripMs) await new Promise((r) => setTimeout(r, options.roundTripMs));
    }
  }

  async function deleteSession(req: IncomingMessage): Promise<unknown> {
    const token = /Token="([^"]*)"/.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
    const live = sessions.get(token);
    sessions.delete(token);
    await live?.session.close();
    return { success: true, code: null, message: null, data: null };
  }

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = await readJson(req).catch(() => ({}));
      const on = url.pathname === '/session/v1/login-request' ? 'login' : url.pathname === '/queries/v1/query-request' ? 'query' : undefined;
      const fault = on === 'login' ? takeFault('login', '') : on === 'query' ? faults.find((f) => f.on === 'query' && f.action === 'reset' && (!f.match || f.match.test(String(body.sqlText ?? '')))) : undefined;
      if (fault?.action === 'reset') {
        faults.splice(faults.indexOf(fault), 1);
        return void req.socket.destroy();
      }
      if (fault?.action === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
      if (fault?.action === 'error') return reply(res, { success: false, code: fault.code, message: fault.message, data: null });
      if (url.pathname === '/session/v1/login-request') return reply(res, await login(url, body));
      if (url.pathname === '/queries/v1/query-request') return reply(res, await query(req, body));
      if (url.pathname === '/session' && url.searchParams.get('delete') === 'true') return reply(res, await deleteSession(req));
      // Telemetry, heartbeats and anything else the driver sends on the side.
      return reply(res, { success: true, code: null, message: null, data: null });
    })().catch((e) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ success: false, code: '000603', message: String((e as Error)?.message ?? e), data: null }));
    });
  });

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    inject: (fault) => void faults.push(fault),
    clearFaults: () => void faults.splice(0),
    logins,
    queries,
    openSessions: () => sessions.size,
    lockEvents: engine.locks.events,
    async seed(sql, binds = [], database = 'EMULATED', schema = 'PUBLIC') {
      const session = await engine.openSession(database, schema);
      try {
        return await session.execute(sql, binds);
      } finally {
        await session.close();
      }
    },
    close: async () => {
      await new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      });
      for (const live of sessions.values()) await live.session.close().catch(() => undefined);
      sessions.clear();
      engine.close();
    },
  };
}
