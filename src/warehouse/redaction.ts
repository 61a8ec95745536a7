import { MASK, maskSecretValues } from '../secrets.js';

/** A PEM body line is long base64; shorter fragments of a key are not worth hiding (nor unique). */
const MIN_KEY_LINE = 16;

/** A signed token (the key-pair login's JWT): a short-lived credential, hidden as well. */
const JWT = /\beyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g;

/**
 * The secret values one warehouse connection uses, and what it prints or throws with each of
 * them replaced. A driver or a server may echo a connection parameter in an error message (a
 * password in a URL, a line of a key it could not parse); such a message reaches the CLI's output,
 * `--json`, logs and the runs recorded in the state, so every message leaving the adapter goes
 * through here first.
 */
export class SecretRedactor {
  private readonly values: readonly string[];

  constructor(secrets: readonly (string | undefined)[]) {
    const parts = new Set<string>();
    for (const secret of secrets) {
      if (!secret) continue;
      parts.add(secret);
      // A key stored with escaped newlines, or quoted one line at a time by whatever failed to parse it.
      for (const line of secret.replace(/\\n/g, '\n').split(/\r?\n/)) {
        const t = line.trim();
        if (t.length >= MIN_KEY_LINE && !t.startsWith('-----')) parts.add(t);
      }
    }
    this.values = [...parts];
  }

  text(s: string): string {
    return maskSecretValues(s, this.values).replace(JWT, MASK);
  }

  /** The same error, its message and stack (and its cause's) without a secret value. */
  error(e: unknown): Error {
    if (!(e instanceof Error)) return new Error(this.text(String(e)));
    e.message = this.text(e.message);
    if (e.stack) e.stack = this.text(e.stack);
    if (e.cause instanceof Error && e.cause !== e) this.error(e.cause);
    else if (e.cause !== undefined) e.cause = this.text(String(e.cause));
    return e;
  }
}
