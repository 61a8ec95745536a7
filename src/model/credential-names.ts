/*
 * Which names carry a credential, for the checks that refuse one written as plain text (a header
 * value, a URL's query parameter or user info): everything synthesized is stored and shown (cdktf.out,
 * plans, PR comments, the state), so a credential must be a secret() reference instead.
 */

/**
 * A name holding a credential word (`auth_token`, `apiToken`, `X-Amz-Signature`, `private_token`,
 * `sessionKey`, `X-Client-Key`): a header or query parameter so named carries a secret.
 */
const CREDENTIAL_WORD = /token|secret|passw|signature|credential|api[-_]?key|(access|private|write|session|auth|client)[-_]?key/i;

/** Query parameters that carry a credential. */
export const credentialQuery = (name: string) => /^(key|token|auth|authorization|secret|pwd|sig|code)$/i.test(name) || CREDENTIAL_WORD.test(name);

/** Header names that carry a credential. */
export const credentialHeader = (name: string) => /^(authorization|proxy-authorization|cookie|apikey|x-auth|x-sig)$/i.test(name) || CREDENTIAL_WORD.test(name);

/** What of a parsed URL holds a credential in clear: its user info, or the first credential query parameter. */
export function urlCredential(url: URL): { userinfo: true } | { param: string } | undefined {
  if (url.username || url.password) return { userinfo: true };
  const param = [...url.searchParams.keys()].find(credentialQuery);
  return param === undefined ? undefined : { param };
}
