import { MASK, maskSecretValues } from '../secrets.js';

/**
 * Keeps credentials out of every message this layer produces (decision D9). Errors from octokit and
 * from git can carry a token (an echoed header, a remote URL with `user:token@`): every message
 * that leaves src/github passes through here first.
 */

/** GitHub token shapes (classic, fine-grained, app, OAuth): masked even when we were not told the value. */
const GITHUB_TOKEN_SHAPES = /\b(?:gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{16,})\b/g;

/** `scheme://user:password@host` or `scheme://token@host`: the user-info part of a URL. */
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi;

/**
 * Masks each known secret value, token-shaped strings and URL credentials. Values shorter than
 * MIN_SECRET_LENGTH are not masked on their own (they would mangle ordinary text; a token that short is refused).
 */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  return maskSecretValues(text, secrets).replace(GITHUB_TOKEN_SHAPES, MASK).replace(URL_USERINFO, `$1${MASK}@`);
}

/** A repository URL fit to print or store: credentials removed, local paths unchanged. */
export function displayUrl(url: string): string {
  return redact(url);
}
