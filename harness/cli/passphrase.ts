import { UsageError } from '../errors.js';

/** The passphrase held in environment variable `name`; never taken from the command line. */
export function passphraseFrom(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const value = process.env[name];
  if (value === undefined || value === '') throw new UsageError(`--passphrase-env ${name}: the variable is not set or empty`);
  return value;
}
