import { createHash } from 'node:crypto';

/** Crockford's base32, the alphabet of ULIDs. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

export const isUlid = (value: string): boolean => ULID.test(value);

/**
 * A valid ULID derived from a messageId, the same on every resend: the 48-bit time is the event's
 * timestamp (ms), the 80 random bits are the first 80 bits of the messageId's md5 (the messageId
 * itself when it is already a 32-hex md5). Customer.io deduplicates events by a ULID `id`.
 */
export function ulidOf(messageId: string, timestampMs: number): string {
  if (isUlid(messageId)) return messageId;
  const hex = /^[0-9a-f]{32}$/i.test(messageId) ? messageId : createHash('md5').update(messageId).digest('hex');
  const time = BigInt(Math.max(0, Math.min(Math.floor(Number.isFinite(timestampMs) ? timestampMs : 0), 2 ** 48 - 1)));
  let n = (time << 80n) | BigInt(`0x${hex.slice(0, 20)}`);
  let out = '';
  for (let i = 0; i < 26; i++) {
    out = ALPHABET[Number(n & 31n)] + out;
    n >>= 5n;
  }
  return out;
}
