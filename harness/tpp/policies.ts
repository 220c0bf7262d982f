// The readings of the rule a lab has to choose, as named policies: recorded
// in every attestation's method and shown in every report.
import { TOTAL_DRAM_BANDWIDTH_POLICY } from '../rules/rule-sets.js';
import { TF32_BIT_LENGTH_POLICY } from './formats.js';

export interface RecordedPolicy {
  name: string;
  value: string;
}

export const RECORDED_POLICIES: readonly RecordedPolicy[] = [
  { name: 'tf32BitLength', value: TF32_BIT_LENGTH_POLICY.reading },
  { name: 'rates', value: 'dense rates only; sparsity is not counted' },
  {
    name: 'verdictClock',
    value: 'accuracy from per-clock rates (clock-independent), each format against its rated clock; thresholds at the spec clock (each format at its rated clock), the maximum and the observed clocks',
  },
  { name: 'totalDramBandwidth', value: `${TOTAL_DRAM_BANDWIDTH_POLICY.id}: ${TOTAL_DRAM_BANDWIDTH_POLICY.reading}` },
];
