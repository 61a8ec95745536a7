/*
 * Snowflake names are case-sensitive once resolved (unquoted names fold to upper case, quoted ones
 * stay as written); DuckDB matches names case-insensitively even when quoted. So every name goes
 * into DuckDB encoded: an upper-case letter is preceded by `^` and a `^` is doubled. Two Snowflake
 * names that differ only in case then differ in DuckDB under any case folding, and DuckDB's own
 * binder reports a name in the wrong case as missing, as Snowflake would.
 */
const MARK = '^';

export function encodeName(name: string): string {
  let out = '';
  for (const ch of name) {
    if (ch === MARK) out += MARK + MARK;
    else if (ch !== ch.toLowerCase()) out += MARK + ch;
    else out += ch;
  }
  return out;
}

export function decodeName(encoded: string): string {
  return encoded.replace(/\^([\s\S])/gu, '$1');
}

/** The encoded name as a DuckDB quoted identifier. */
export function duckIdent(snowflakeName: string): string {
  return `"${encodeName(snowflakeName).replace(/"/g, '""')}"`;
}

/** DuckDB SQL that decodes an encoded name column (INFORMATION_SCHEMA). */
export function decodeSql(expr: string): string {
  return `regexp_replace(${expr}, '\\^(.)', '\\1', 'gs')`;
}
