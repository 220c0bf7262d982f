// The identity stage of a run: every reading cross-checked, before anything
// is measured. A disagreement refuses a strict run (exit 3, nothing written)
// and is a state problem otherwise (the verdict is then inconclusive).
import { DeviceUnavailableError } from '../errors.js';
import { crossCheck, describeDisagreement, type IdentityCheck, type Reading } from './readings.js';

export interface IdentityStage extends IdentityCheck {
  stateProblems: string[];
}

export function identityStage(readings: readonly Reading[], strict: boolean): IdentityStage {
  const check = crossCheck(readings);
  const stateProblems = check.disagreements.map(describeDisagreement);
  if (strict && stateProblems.length) {
    throw new DeviceUnavailableError(
      `the device's identity is not consistent, refusing to measure (strict): ${stateProblems.join('; ')}; --no-strict records it and makes the verdict inconclusive`,
    );
  }
  return { ...check, stateProblems };
}
