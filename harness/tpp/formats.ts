// Numeric formats and their bit length for TPP (ECCN 3A090 Technical Note 2:
// "the bit length of the operation" = the highest bit length of any input).

export const FORMATS = ['FP64', 'FP64_TENSOR', 'FP32', 'TF32', 'FP16', 'BF16', 'FP8', 'FP6', 'FP4', 'INT8', 'INT4'] as const;
export type Format = (typeof FORMATS)[number];

export function isFormat(name: string): name is Format {
  return (FORMATS as readonly string[]).includes(name);
}

/**
 * TF32 operands sit in 32-bit registers but carry a 19-bit format. The
 * conservative reading counts 32 bits; it is a recorded policy, not a fact.
 */
export const TF32_BIT_LENGTH_POLICY = {
  id: 'tf32-bits-32',
  bits: 32,
  reading: 'TF32 counted at 32 bits: its inputs are 32-bit registers (conservative reading of 3A090 Technical Note 2)',
} as const;

export const BIT_LENGTH: Readonly<Record<Format, number>> = {
  FP64: 64,
  FP64_TENSOR: 64,
  FP32: 32,
  TF32: TF32_BIT_LENGTH_POLICY.bits,
  FP16: 16,
  BF16: 16,
  FP8: 8,
  FP6: 6,
  FP4: 4,
  INT8: 8,
  INT4: 4,
};

export type RatesTops = Partial<Record<Format, number>>;
