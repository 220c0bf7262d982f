// Number formatting for reasons and tables: en-US digit grouping, fixed
// digits. Hand-rolled on toFixed: Intl formatting dominated the time to
// recompute a verdict, and verify recomputes one per attestation.
export function formatFixed(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return String(value);
  const fixed = Math.abs(value).toFixed(digits);
  const dot = fixed.indexOf('.');
  const end = dot === -1 ? fixed.length : dot;
  let grouped = '';
  for (let i = 0; i < end; i++) {
    if (i > 0 && (end - i) % 3 === 0) grouped += ',';
    grouped += fixed[i];
  }
  // "-0.0" reads as a sign on nothing: only a value that rounds away from zero keeps its minus.
  const negative = value < 0 && /[1-9]/.test(fixed);
  return (negative ? '-' : '') + grouped + (dot === -1 ? '' : fixed.slice(dot));
}
