// Text from an attestation is data: escaped before it enters HTML, SVG or CSS.
const HTML_ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]!);
}

/** A CSS string literal: every character outside [A-Za-z0-9 -] as a hex escape, so no text can close the string or the style element. */
export function cssString(text: string): string {
  return `"${text.replace(/[^A-Za-z0-9 -]/gu, (c) => `\\${c.codePointAt(0)!.toString(16)} `)}"`;
}
