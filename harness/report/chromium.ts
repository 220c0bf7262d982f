// Headless Chromium (Debian package `chromium`) for PDF printing and for the
// report tests. Flags from the workplace's known-good set: no GPU, no
// background networking (this machine has no network to reach); the sandbox
// is turned off only for root, where Chromium refuses to start with it.
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RendererError } from '../errors.js';

export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** Environment variable naming the Chromium binary, overriding the candidates. */
export const CHROMIUM_ENV = 'TPPVERIFY_CHROMIUM';

export async function findChromium(): Promise<string | undefined> {
  const { existsSync } = await import('node:fs');
  const chosen = process.env[CHROMIUM_ENV];
  if (chosen) return existsSync(chosen) ? chosen : undefined;
  return CHROMIUM_CANDIDATES.find((c) => existsSync(c));
}

/** `--no-sandbox` for root only: Chromium's sandbox cannot run as root, and everyone else keeps it. */
export function chromiumSandboxFlags(uid: number | undefined = process.getuid?.()): string[] {
  return uid === 0 ? ['--no-sandbox'] : [];
}

export async function runChromium(args: string[], timeoutMs = 60_000) {
  const binary = await findChromium();
  if (!binary) {
    const chosen = process.env[CHROMIUM_ENV];
    throw new RendererError(
      chosen ? `the file ${CHROMIUM_ENV} names does not exist` : 'this needs headless Chromium: install the Debian package chromium (apt-get install chromium)',
    );
  }
  const profile = mkdtempSync(path.join(tmpdir(), 'tppverify-chromium-'));
  try {
    return await execa(
      binary,
      ['--headless', ...chromiumSandboxFlags(), '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, ...args],
      { reject: false, timeout: timeoutMs, stdin: 'ignore' },
    );
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
