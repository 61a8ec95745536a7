import { LinkedError } from './model/errors.js';
import type { SecretRef } from './model/common.js';

/**
 * Reads a secret's value from the environment at the moment of use (decision D9).
 * The error names the variable, never a value.
 */
export function resolveSecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[ref.secret];
  if (value === undefined || value === '') {
    throw new LinkedError('SECRET_MISSING', `The secret ${ref.secret} is not set: export it in the environment of this command.`, { secret: ref.secret });
  }
  rememberSecret(value);
  return value;
}

/*
 * Every secret value this process has read, in each form it can take on the wire, so a response or
 * an error that echoes it (a destination that reflects request headers, an HTTP client quoting an
 * invalid header) is masked before it is stored or printed.
 */
const MASK = '(redacted)';
/** Shorter values are not masked on their own: they would mangle ordinary text and cannot be real credentials. */
const MIN_LENGTH = 4;
const known = new Set<string>();

function remember(form: string): void {
  if (form.length >= MIN_LENGTH) known.add(form);
}

/** Remembers a secret value and its trimmed, base64 and URL-encoded forms. */
export function rememberSecret(value: string): void {
  for (const v of new Set([value, value.trim()])) {
    remember(v);
    remember(Buffer.from(v).toString('base64'));
    remember(encodeURIComponent(v));
    remember(JSON.stringify(v).slice(1, -1));
  }
}

/** `Basic <base64(user:password)>`, remembered as a secret form: its base64 does not contain the password's own. */
export function basicAuth(user: string, password: string): string {
  const token = Buffer.from(`${user}:${password}`).toString('base64');
  remember(token);
  return `Basic ${token}`;
}

/** The text with every remembered secret form masked; longest first, so a form inside another goes with it. */
export function redactSecrets(text: string): string;
export function redactSecrets(text: string | null): string | null;
export function redactSecrets(text: string | null): string | null {
  if (text === null || known.size === 0) return text;
  let out = text;
  for (const form of [...known].sort((a, b) => b.length - a.length)) if (out.includes(form)) out = out.split(form).join(MASK);
  return out;
}
