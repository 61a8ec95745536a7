/*
 * Logging in to Snowflake: the driver's connection options from a stack's config (secrets read
 * from the environment at the moment of use), and the login itself, retried with backoff on
 * transient failures within the login timeout. Refused credentials fail at once, naming the secret
 * to check, never its value.
 */
import snowflake from 'snowflake-sdk';
import { LinkedError } from '../model/errors.js';
import type { SnowflakeWarehouseConfig } from '../model/warehouse.js';
import { backoffDelay, sleep, type RetryPolicy } from '../retry.js';
import { resolveSecret } from '../secrets.js';
import { classifySnowflakeError, unresolvedHost, WarehouseError, type SnowflakeErrorLike } from './errors.js';
import { SecretRedactor } from './redaction.js';

export const DEFAULT_LOGIN_TIMEOUT_SECONDS = 60;

/** Retries of a login: a few, quickly, as a person may be waiting on them; bounded by the login timeout. */
export const SNOWFLAKE_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 8_000 };

let sdkConfigured = false;
/** The driver logs to a file and the console by default; a CLI must stay quiet (and never log a secret). */
export function configureSdkOnce(): void {
  if (sdkConfigured) return;
  sdkConfigured = true;
  snowflake.configure({ logLevel: 'OFF', additionalLogToConsole: false } as snowflake.ConfigureOptions);
}

/**
 * A PEM key kept in an environment variable often arrives with its newlines escaped (`\n`) or
 * stripped of them by a CI secret store; restore them so the driver can parse it.
 */
export function normalisePrivateKey(pem: string): string {
  const text = pem.includes('\\n') ? pem.replace(/\\n/g, '\n') : pem;
  return text.trim() + '\n';
}

/** The environment variable holding each secret the config refers to. */
export function secretVariables(config: SnowflakeWarehouseConfig): string[] {
  const auth = config.auth;
  return auth.type === 'keypair' ? [auth.privateKey.secret, ...(auth.passphrase ? [auth.passphrase.secret] : [])] : [auth.password.secret];
}

/** The driver's connection options for a stack's Snowflake config: secrets resolved now, at the moment of use. */
export function snowflakeConnectionOptions(config: SnowflakeWarehouseConfig, env: NodeJS.ProcessEnv = process.env): snowflake.ConnectionOptions {
  const base: snowflake.ConnectionOptions = {
    account: config.account,
    username: config.username,
    database: config.database,
    warehouse: config.warehouse,
    role: config.role,
    ...(config.schema ? { schema: config.schema } : {}),
    ...(config.accessUrl ? { accessUrl: config.accessUrl.replace(/\/+$/, '') } : {}),
    application: 'linked_audiences',
    // Integers as bigints, every digit kept: as numbers, the driver rounds an id past 2^53 to
    // another id. The adapter hands them out as plainInteger makes them, never as bigints.
    jsTreatIntegerAsBigInt: true,
    // One attempt per login call: the retries, their backoff and the timeout are ours (loginWithRetry).
    sfRetryMaxLoginRetries: 0,
  };
  if (config.auth.type === 'keypair') {
    return {
      ...base,
      authenticator: 'SNOWFLAKE_JWT',
      privateKey: normalisePrivateKey(resolveSecret(config.auth.privateKey, env)),
      ...(config.auth.passphrase ? { privateKeyPass: resolveSecret(config.auth.passphrase, env) } : {}),
    };
  }
  return { ...base, authenticator: 'SNOWFLAKE', password: resolveSecret(config.auth.password, env) };
}

/** Every secret value the options carry, in each form it may be echoed in. */
export function redactorFor(options: snowflake.ConnectionOptions, config: SnowflakeWarehouseConfig, env: NodeJS.ProcessEnv): SecretRedactor {
  return new SecretRedactor([options.password, options.privateKey, options.privateKeyPass, ...secretVariables(config).map((v) => env[v])]);
}

function connectOnce(options: snowflake.ConnectionOptions, timeoutMs: number): Promise<snowflake.Connection> {
  const connection = snowflake.createConnection(options);
  return new Promise((resolvePromise, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      connection.destroy(() => undefined);
      reject(new WarehouseError('WAREHOUSE_INTERNAL', `the login did not finish within ${Math.round(timeoutMs / 1000)} s`, true));
    }, timeoutMs);
    connection.connect((err) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolvePromise(connection);
    });
  });
}

export interface LoginOptions {
  env: NodeJS.ProcessEnv;
  retry: RetryPolicy;
}

/**
 * Logs in, retrying transient failures (network, 5xx, a login that hangs) with backoff until the
 * login timeout is spent. The error names the account, the user and what to check.
 */
export async function loginWithRetry(config: SnowflakeWarehouseConfig, options: LoginOptions): Promise<{ connection: snowflake.Connection; redactor: SecretRedactor }> {
  configureSdkOnce();
  const connectionOptions = snowflakeConnectionOptions(config, options.env);
  const redactor = redactorFor(connectionOptions, config, options.env);
  const timeoutMs = (config.loginTimeoutSeconds ?? DEFAULT_LOGIN_TIMEOUT_SECONDS) * 1000;
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return { connection: await connectOnce(connectionOptions, Math.max(1, deadline - Date.now())), redactor };
    } catch (raw) {
      const failure = loginFailure(config, raw, attempt);
      const delay = backoffDelay(options.retry, attempt);
      if (failure.retryable && attempt < options.retry.maxAttempts && Date.now() + delay < deadline) {
        await sleep(delay);
        continue;
      }
      throw redactor.error(failure.error);
    }
  }
}

/** Where the identifier formats and their fix are described; named by the error of an account that does not resolve. */
const ACCOUNT_IDENTIFIER_DOCS = 'docs/warehouses.md#account-identifier';

/**
 * Whether `host` is the one a login to `config` goes to: accessUrl's, else the one snowflake-sdk
 * builds from the account (`<name>.<region>.snowflakecomputing.com`, `.cn` in China, the region
 * left out when there is none), whose first label is the account's name. Any other host (a proxy)
 * is not the account's.
 */
function isLoginHost(host: string, config: SnowflakeWarehouseConfig): boolean {
  const h = host.toLowerCase();
  if (config.accessUrl) return h === new URL(config.accessUrl).hostname.toLowerCase();
  const name = config.account.split('.')[0]!.toLowerCase();
  return h.startsWith(`${name}.`) && /\.snowflakecomputing\.(com|cn)$/.test(h);
}

/**
 * What a failed login attempt (the `attempts`-th) means: the error the user reads, naming the
 * account, the user and what to check, and whether another attempt may succeed.
 */
export function loginFailure(config: SnowflakeWarehouseConfig, raw: unknown, attempts: number): { error: LinkedError; retryable: boolean } {
  // The DNS does not know the account's own host: no account answers to that identifier, and
  // another attempt meets the same answer. A proxy's name that does not resolve is a network
  // path to mend, retried as any other network failure.
  const host = unresolvedHost(raw);
  if (host && isLoginHost(host, config)) return { error: unresolvedAccountError(config, host), retryable: false };
  const classified = raw instanceof WarehouseError ? raw : classifySnowflakeError(raw);
  const retryable = classified instanceof WarehouseError && classified.retryable;
  return { error: loginError(config, classified, retryable, attempts, String((raw as SnowflakeErrorLike | undefined)?.code ?? '')), retryable };
}

const whereOf = (config: SnowflakeWarehouseConfig) => `Snowflake account ${config.account} as ${config.username}${config.accessUrl ? ` at ${config.accessUrl}` : ''}`;

function unresolvedAccountError(config: SnowflakeWarehouseConfig, host: string): LinkedError {
  const unknown = `Could not connect to ${whereOf(config)}: its host ${host} does not resolve (getaddrinfo ENOTFOUND)`;
  if (config.accessUrl) {
    return new LinkedError(
      'WAREHOUSE',
      `${unknown}. Correct accessUrl in Warehouse.snowflake (a private link host resolves only where its private DNS zone is set up), or leave it out to reach https://<account>.snowflakecomputing.com; see ${ACCOUNT_IDENTIFIER_DOCS}.`,
    );
  }
  return new LinkedError(
    'WAREHOUSE',
    `${unknown}, so no Snowflake account has the identifier ${config.account}. Correct account in Warehouse.snowflake: orgname-accountname (myorg-myaccount), or the account locator with its region, and its cloud where the region needs it (xy12345.eu-west-1, xy12345.us-east-2.aws, xy12345.west-europe.azure); see ${ACCOUNT_IDENTIFIER_DOCS}.`,
  );
}

function loginError(config: SnowflakeWarehouseConfig, cause: Error, retryable: boolean, attempts: number, snowflakeCode: string): LinkedError {
  const where = whereOf(config);
  const said = cause.message.replace(/\.+$/, '');
  if (retryable) {
    return new WarehouseError(
      'WAREHOUSE_INTERNAL',
      `Could not reach ${where} after ${attempts} attempt(s): ${said}. Check the network path to the account (accessUrl, proxy, private link) and its status; the login timeout is loginTimeoutSeconds.`,
      true,
    );
  }
  const code = (cause as LinkedError).code === 'SQL_COMPILATION' ? 'WAREHOUSE' : ((cause as LinkedError).code ?? 'WAREHOUSE');
  // The login named a role the user may not use: the credentials were fine.
  if (snowflakeCode === '390189') {
    return new LinkedError(
      code,
      `Could not connect to ${where}: ${said}. The stack's role ${config.role} does not exist or is not granted to ${config.username}: GRANT ROLE ${config.role} TO USER ${config.username}, or correct role in Warehouse.snowflake.`,
    );
  }
  const secrets = secretVariables(config).join(' and ');
  return new LinkedError(
    code,
    `Could not connect to ${where}: ${said}. Check the user, its role and the secret in ${secrets} (${config.auth.type === 'keypair' ? 'the private key whose public half is set on the user with ALTER USER … SET RSA_PUBLIC_KEY' : 'the password'}).`,
  );
}
