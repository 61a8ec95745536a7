/**
 * Errors are values with a stable `code` and a message a person can act on.
 * The CLI prints `message` without a stack trace unless --debug.
 */
export class LinkedError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'LinkedError';
  }
}

export function isLinkedError(e: unknown): e is LinkedError {
  return e instanceof LinkedError;
}
