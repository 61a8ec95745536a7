import { LinkedError } from './model/errors.js';
import type { SecretRef } from './model/common.js';

/**
 * Reads a secret's value from the environment at the moment of use (DESIGN D9).
 * The error names the variable, never a value.
 */
export function resolveSecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[ref.secret];
  if (value === undefined || value === '') {
    throw new LinkedError('SECRET_MISSING', `The secret ${ref.secret} is not set: export it in the environment of this command.`);
  }
  return value;
}
