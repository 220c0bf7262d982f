// Identifiers (serials, UUIDs, board part numbers) are compared as exact
// strings, so each has one spelling: Unicode NFC, no white space at either
// end. "SN1" and "SN1 ", or an NFC and an NFD "é", would otherwise be two
// units to a lot and one to a person reading the report.

/** Identity facts compared across documents (audit, lot). */
export const IDENTIFIER_FACTS = ['serial', 'uuid', 'boardPartNumber'] as const;

/** Why `value` is not a canonical identifier, or undefined when it is one. */
export function identifierProblem(value: string): string | undefined {
  if (value !== value.trim()) return `'${JSON.stringify(value).slice(1, -1)}' begins or ends with white space`;
  if (value !== value.normalize('NFC')) return `${JSON.stringify(value)} is not in Unicode normalization form C (NFC)`;
  return undefined;
}

/** The one spelling of an identifier a device reports: trimmed, NFC. */
export function normalizeIdentifier(value: string): string {
  return value.trim().normalize('NFC');
}
