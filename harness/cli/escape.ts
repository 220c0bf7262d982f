// Text from inputs (file names, signed fields, parser messages) on its way to
// a terminal: every character a terminal acts on or that reorders or hides
// what a reader sees is written as a visible escape, so a file name holding
// "\nVALID" or ESC sequences prints as itself and forges nothing.

/**
 * C0/C1 controls (ESC, CR, LF, ...), DEL, bidirectional embeddings, overrides
 * and isolates ("Trojan Source", CVE-2021-42574), zero-width characters, the
 * line and paragraph separators, the byte-order mark, and lone surrogates.
 */
const UNSAFE = /[\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u2028-\u202E\u2060-\u2069\uFEFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** An error line is at most this many characters: a reason, not a dump of the input. */
export const MAX_LINE_CHARS = 1000;

export function terminalText(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One escaped line of at most MAX_LINE_CHARS characters (longer ones end in "… (N more characters)"). */
export function boundedLine(text: string, max = MAX_LINE_CHARS): string {
  const escaped = terminalText(text);
  if (escaped.length <= max) return escaped;
  const cut = escaped.slice(0, max);
  // Never cut a surrogate pair or an escape in half.
  const safe = cut.replace(/\\u[0-9a-f]{0,3}$|[\uD800-\uDBFF]$/, '');
  return `${safe}… (${escaped.length - safe.length} more characters)`;
}

/** JSON text with the same characters escaped inside its strings (\uXXXX keeps it valid JSON). */
export function terminalJson(json: string): string {
  return json.replace(/[\u007F-\u009F\u061C\u200B-\u200F\u2028-\u202E\u2060-\u2069\uFEFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
