import { LinkedError } from './model/errors.js';
import type { SecretRef } from './model/common.js';

/**
 * The fewest characters a secret linked uses may have. Every value it uses is masked wherever it
 * could be printed or stored, and masking a shorter one would mangle ordinary text (every `ok`, every
 * `2`); a value that short is no real credential either. So a shorter value is refused at the moment
 * of use instead of being sent unmasked.
 */
export const MIN_SECRET_LENGTH = 8;

/**
 * Reads a secret's value from the environment at the moment of use (decision D9).
 * The error names the variable, never a value.
 */
export function resolveSecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[ref.secret];
  if (value === undefined || value === '') {
    throw new LinkedError('SECRET_MISSING', `The secret ${ref.secret} is not set: export it in the environment of this command.`, { secret: ref.secret });
  }
  checkSecretLength(ref.secret, value);
  rememberSecret(value);
  return value;
}

/** Refuses a value too short to be masked (see MIN_SECRET_LENGTH), naming the variable, never the value. */
export function checkSecretLength(variable: string, value: string): void {
  if (value.trim().length >= MIN_SECRET_LENGTH) return;
  throw new LinkedError(
    'SECRET_TOO_SHORT',
    `The secret ${variable} is shorter than ${MIN_SECRET_LENGTH} characters, too short to be masked wherever it could be printed: set ${variable} to the full credential.`,
    { secret: variable },
  );
}

/** What a secret is replaced by wherever text that could quote one is printed or stored. */
export const MASK = '(redacted)';

/** Non-ASCII as `\\uXXXX`, as Python's json.dumps and PHP's json_encode write it. */
const asciiJson = (json: string) => json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/**
 * A secret value in each form it can take on the wire: as it is, trimmed, base64 (with and without
 * padding, and URL-safe), URL-encoded (as a path segment or a form, either hex case), escaped inside
 * a JSON string (also with `\\/` and `\\uXXXX`, as PHP and Python write it) and escaped as HTML text (the
 * three spellings of `'`). A destination that reflects a header in its error page, or a client that
 * quotes it, sends back one of these rather than the value.
 */
export function secretForms(value: string): string[] {
  const forms = new Set<string>();
  for (const v of new Set([value, value.trim()])) {
    forms.add(v);
    const b64 = Buffer.from(v).toString('base64');
    forms.add(b64);
    forms.add(b64.replace(/=+$/, ''));
    forms.add(Buffer.from(v).toString('base64url'));
    for (const encoded of [encodeURIComponent(v), new URLSearchParams({ v }).toString().slice(2)]) {
      forms.add(encoded);
      forms.add(encoded.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()));
    }
    const json = JSON.stringify(v).slice(1, -1);
    for (const j of [json, asciiJson(json)]) {
      forms.add(j);
      forms.add(j.replace(/\//g, '\\/'));
    }
    const html = v.replace(/[&<>"]/g, (c) => HTML_ESCAPES[c]!);
    for (const apostrophe of ['&#39;', '&#039;', '&#x27;']) forms.add(html.replace(/'/g, apostrophe));
  }
  return [...forms];
}

/** `text` with every form given masked; longest first, so a form inside another goes with it. */
function maskForms(text: string, forms: Iterable<string>): string {
  let out = text;
  for (const form of [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length)) if (out.includes(form)) out = out.split(form).join(MASK);
  return out;
}

/** `text` with each of `values`, in each of its wire forms, masked: for callers that know which secrets apply. */
export function maskSecretValues(text: string, values: Iterable<string | undefined>): string {
  const forms: string[] = [];
  for (const v of values) if (v) forms.push(...secretForms(v));
  return maskForms(text, forms);
}

/*
 * Every secret value this process has read, in each form it can take on the wire, so a response or
 * an error that echoes it (a destination that reflects request headers, an HTTP client quoting an
 * invalid header) is masked before it is stored or printed.
 */
const known = new Set<string>();

/** Remembers a secret value and its wire forms. */
export function rememberSecret(value: string): void {
  for (const form of secretForms(value)) known.add(form);
}

/** `Basic <base64(user:password)>`, remembered as a secret form: its base64 does not contain the password's own. */
export function basicAuth(user: string, password: string): string {
  const token = Buffer.from(`${user}:${password}`).toString('base64');
  known.add(token);
  return `Basic ${token}`;
}

/** The text with every remembered secret form masked. */
export function redactSecrets(text: string): string;
export function redactSecrets(text: string | null): string | null;
export function redactSecrets(text: string | null): string | null {
  return text === null || known.size === 0 ? text : maskForms(text, known);
}
