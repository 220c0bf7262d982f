// Errors and exit statuses. Every failure is a TppverifyError carrying a code
// (attestations/errors.ts); EXIT_STATUS is the one table from codes to exit
// statuses, used by the CLI for errors raised here and for those the
// measuring child reports over its pipe. Nothing reaches the user as a stack trace.
import { TppverifyError, type ErrorCode } from '../attestations/errors.js';

export { ERROR_CODES, isErrorCode, TppverifyError, type ErrorCode } from '../attestations/errors.js';

export const EXIT_OK = 0;
/** verify and report: the document was read but does not verify. */
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;
export const EXIT_MEASUREMENT = 3;
/** An unexpected fault in tppverify itself, or an incomplete installation. */
export const EXIT_INTERNAL = 1;
/** report: headless Chromium is missing or could not print the PDF (the HTML page is still written). */
export const EXIT_RENDERER = 4;
/** run --fail-on: the attestation was written and its outcome is one the caller asked to fail on. */
export const EXIT_FAIL_ON = 5;

/** The one table from error codes to exit statuses. */
export const EXIT_STATUS: Readonly<Record<ErrorCode, number>> = {
  usage: 2,
  input: 2,
  output: 2,
  device: 3,
  measurement: 3,
  setup: 1,
  internal: 1,
  renderer: EXIT_RENDERER,
  'fail-on': EXIT_FAIL_ON,
};

/** Bad command line or input file. */
export class UsageError extends TppverifyError {
  constructor(message: string) {
    super('input', message);
  }
}

/** The device is absent, cannot be measured, or failed while being measured. */
export class DeviceUnavailableError extends TppverifyError {
  constructor(message: string) {
    super('device', message);
  }
}

/** A kernel's result failed its own verification or a plausibility check. */
export class MeasurementError extends TppverifyError {
  constructor(message: string, kernel?: string) {
    super('measurement', message, kernel);
  }
}

/** Headless Chromium is missing or failed to print: not a device failure. */
export class RendererError extends TppverifyError {
  constructor(message: string) {
    super('renderer', message);
  }
}
