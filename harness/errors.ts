// Errors the CLI turns into one line and an exit code; nothing else reaches
// the user as a stack trace.

export const EXIT_OK = 0;
/** An unexpected fault in tppverify itself. */
export const EXIT_INTERNAL = 1;
export const EXIT_USAGE = 2;
/** verify and report: the attestation was read but does not verify. */
export const EXIT_INVALID = 1;
export const EXIT_MEASUREMENT = 3;
/** report: headless Chromium is missing or could not print the PDF (the HTML page is still written). */
export const EXIT_RENDERER = 4;
/** run --fail-on: the attestation was written and its outcome is one the caller asked to fail on. */
export const EXIT_FAIL_ON = 5;

export abstract class TppverifyError extends Error {
  abstract readonly exitCode: number;
}

/** Bad command line or input file. */
export class UsageError extends TppverifyError {
  readonly exitCode = EXIT_USAGE;
  override readonly name = 'UsageError';
}

/** The device is absent, cannot be measured, or failed while being measured. */
export class DeviceUnavailableError extends TppverifyError {
  readonly exitCode = EXIT_MEASUREMENT;
  override readonly name = 'DeviceUnavailableError';
}

/** A kernel's result failed its own verification or a plausibility check. */
export class MeasurementError extends TppverifyError {
  readonly exitCode = EXIT_MEASUREMENT;
  override readonly name = 'MeasurementError';
  constructor(
    message: string,
    readonly kernel?: string,
  ) {
    super(message);
  }
}

/** Headless Chromium is missing or failed to print: not a device failure. */
export class RendererError extends TppverifyError {
  readonly exitCode = EXIT_RENDERER;
  override readonly name = 'RendererError';
}
