import { UsageError } from '../errors.js';

/**
 * The passphrase held in environment variable `name`; never taken from the
 * command line. Once read, the variable is removed from this process's
 * environment, so no child (the measuring process, git, nvidia-smi) inherits it.
 */
export function passphraseFrom(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const value = process.env[name];
  if (value === undefined || value === '') throw new UsageError(`--passphrase-env ${name}: the variable is not set or empty`);
  delete process.env[name];
  return value;
}
