/** A statement failure as Snowflake reports it: six-digit error code, SQLSTATE and message. */
export class SnowflakeError extends Error {
  constructor(
    readonly code: string,
    readonly sqlState: string,
    message: string,
  ) {
    super(message);
    this.name = 'SnowflakeError';
  }
}

/**
 * A construct the emulation does not translate. It never passes silently: the statement fails
 * naming the construct and the statement, so a test that meets it shows what to add.
 */
export function unsupported(construct: string, sqlText: string): SnowflakeError {
  const shown = sqlText.length > 400 ? `${sqlText.slice(0, 400)}…` : sqlText;
  return new SnowflakeError('002000', '0A000', `Unsupported feature '${construct}': the Snowflake emulator does not translate it. Statement: ${shown}`);
}

export function syntaxError(detail: string): SnowflakeError {
  return new SnowflakeError('001003', '42000', `SQL compilation error:\nsyntax error ${detail}`);
}
