import { printable } from '../model/printable.js';
import { maskSecretValues } from '../secrets.js';

export type LogFormat = 'text' | 'json';

export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

/** Field values a log line may carry: no objects, so nothing unexpected (a settings object) leaks in. */
export type LogValue = string | number | boolean | null | undefined;

export interface DaemonLogger {
  /** A free-form line (text format only prints these; json prints them as `{"msg": ...}`, at `level`, default info). */
  line(text: string, level?: 'info' | 'error'): void;
  /** A structured record: one JSON line, or `msg key=value ...` in text. */
  event(msg: string, fields: Record<string, LogValue>): void;
}

/**
 * The daemon's logger. Every line passes through `redact`: the values of the secrets the stack
 * references (read from the environment by name) are masked wherever they appear, since an error
 * message or a destination's response could echo one.
 */
export function createLogger(options: {
  format: LogFormat;
  write: (line: string) => void;
  /** The values to mask; a function when they change while the daemon runs (read at each line). */
  secrets?: readonly string[] | (() => readonly string[]);
  now?: () => Date;
}): DaemonLogger {
  const secrets = () => (typeof options.secrets === 'function' ? options.secrets() : (options.secrets ?? []));
  const redact = (text: string) => maskSecretValues(text, secrets());
  const now = () => (options.now?.() ?? new Date()).toISOString();
  if (options.format === 'json') {
    return {
      // Masked before the escapes of printable, which would hide a secret holding what they escape from the mask.
      line: (text, level = 'info') => options.write(printable(redact(JSON.stringify({ ts: now(), level, msg: text }))) + '\n'),
      event: (msg, fields) => options.write(printable(redact(JSON.stringify({ ts: now(), level: levelOf(fields), msg, ...defined(fields) }))) + '\n'),
    };
  }
  // A text line goes to a terminal or a log viewer as it is: what steers a terminal in an error
  // message (warehouse data it quotes) is written as its escape.
  return {
    line: (text) => options.write(printable(redact(`${now()} ${text}`)) + '\n'),
    event: (msg, fields) =>
      options.write(
        printable(redact(
          `${now()} ${msg} ${Object.entries(defined(fields))
            .map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v)}`)
            .join(' ')}`,
        )) + '\n',
      ),
  };
}

const levelOf = (fields: Record<string, LogValue>) => (fields.error ? 'error' : 'info');

function defined(fields: Record<string, LogValue>): Record<string, LogValue> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

/**
 * The values of every secret `value` references (`{ secret: 'ENV' }` anywhere inside), read from
 * `env`: what the logger masks. Unset secrets are skipped.
 */
export function referencedSecretValues(value: unknown, env: NodeJS.ProcessEnv = process.env): string[] {
  const names = new Set<string>();
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.secret === 'string' && Object.keys(o).length === 1) names.add(o.secret);
      else Object.values(o).forEach(walk);
    }
  };
  walk(value);
  return [...names].map((n) => env[n]).filter((s): s is string => typeof s === 'string' && s.length > 0);
}
