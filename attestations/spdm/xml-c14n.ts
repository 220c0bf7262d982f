// Just enough XML for an XML-DSig enveloped signature over a reference
// integrity manifest (TCG SWID tag): a strict parser for documents without a
// DTD, processing instructions or CDATA (refused, not guessed at), and
// inclusive Canonical XML 1.1 (W3C xml-c14n11) without comments, of a whole
// element or of an element with one descendant left out (the enveloped
// Signature). Pure.

export class XmlError extends Error {
  override readonly name = 'XmlError';
}

export interface XmlElement {
  kind: 'element';
  name: string;
  /** In document order; namespace declarations included (xmlns, xmlns:p). */
  attributes: { name: string; value: string }[];
  children: XmlNode[];
}
export type XmlNode = XmlElement | { kind: 'text'; text: string };

const NAME = /^[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?/;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
/** Far beyond a manifest's depth: a bound, so hostile input cannot exhaust the stack. */
const MAX_DEPTH = 64;

function decodeReferences(raw: string): string {
  return raw.replace(/&([^;&\s]*);?/g, (whole, body: string) => {
    if (!whole.endsWith(';')) throw new XmlError('XML: a bare & in text or an attribute');
    if (PREDEFINED[body] !== undefined) return PREDEFINED[body]!;
    const code = /^#x([0-9a-fA-F]+)$/.exec(body)?.[1] ?? /^#(\d+)$/.exec(body)?.[1];
    if (code === undefined) throw new XmlError(`XML: unknown entity &${body.slice(0, 20)};`);
    const value = body.startsWith('#x') ? parseInt(code, 16) : parseInt(code, 10);
    if (!(value === 0x9 || value === 0xa || value === 0xd || (value >= 0x20 && value <= 0x10ffff))) throw new XmlError('XML: a character reference to a forbidden character');
    return String.fromCodePoint(value);
  });
}

export function parseXml(input: string): XmlElement {
  // XML 1.0 §2.11: line ends become \n before parsing.
  const text = input.replace(/\r\n?/g, '\n');
  let i = 0;
  const fail = (what: string): never => {
    throw new XmlError(`XML at offset ${i}: ${what}`);
  };
  const skipSpace = () => {
    while (i < text.length && /[ \t\n]/.test(text[i]!)) i++;
  };
  if (text.startsWith('<?xml')) {
    const end = text.indexOf('?>');
    if (end === -1) fail('unterminated XML declaration');
    i = end + 2;
  }
  skipSpace();
  function element(depth: number): XmlElement {
    if (depth > MAX_DEPTH) fail('nesting too deep');
    if (text.startsWith('<!--', i) || text.startsWith('<?', i) || text.startsWith('<!', i)) fail('comments, processing instructions, DTDs and CDATA are not accepted');
    if (text[i] !== '<') fail('expected an element');
    i++;
    const name = NAME.exec(text.slice(i, i + 200))?.[0] ?? fail('expected an element name');
    i += name.length;
    const attributes: { name: string; value: string }[] = [];
    for (;;) {
      const before = i;
      skipSpace();
      if (text.startsWith('/>', i)) {
        i += 2;
        return { kind: 'element', name, attributes, children: [] };
      }
      if (text[i] === '>') {
        i++;
        break;
      }
      if (i === before) fail('expected a space before an attribute');
      const attribute = NAME.exec(text.slice(i, i + 200))?.[0] ?? fail('expected an attribute name');
      i += attribute.length;
      skipSpace();
      if (text[i] !== '=') fail('expected =');
      i++;
      skipSpace();
      const quote = text[i];
      if (quote !== '"' && quote !== "'") fail('expected a quoted attribute value');
      const end = text.indexOf(quote!, i + 1);
      if (end === -1) fail('unterminated attribute value');
      const raw = text.slice(i + 1, end);
      if (raw.includes('<')) fail('< inside an attribute value');
      // Attribute-value normalization (XML 1.0 §3.3.3, CDATA type): literal whitespace becomes a space.
      const value = decodeReferences(raw.replace(/[\t\n]/g, ' '));
      if (attributes.some((a) => a.name === attribute)) fail(`attribute ${attribute} repeats`);
      attributes.push({ name: attribute, value });
      i = end + 1;
    }
    const children: XmlNode[] = [];
    for (;;) {
      const next = text.indexOf('<', i);
      if (next === -1) fail(`element ${name} is not closed`);
      if (next > i) {
        const raw = text.slice(i, next);
        if (raw.includes(']]>')) fail(']]> in text');
        children.push({ kind: 'text', text: decodeReferences(raw) });
      }
      i = next;
      if (text.startsWith('</', i)) {
        i += 2;
        if (!text.startsWith(name, i)) fail(`expected </${name}>`);
        i += name.length;
        skipSpace();
        if (text[i] !== '>') fail('expected >');
        i++;
        return { kind: 'element', name, attributes, children };
      }
      children.push(element(depth + 1));
    }
  }
  const root = element(0);
  skipSpace();
  if (i !== text.length) fail('content after the root element');
  return root;
}

function prefixOf(qname: string): string {
  const colon = qname.indexOf(':');
  return colon === -1 ? '' : qname.slice(0, colon);
}

function isNamespaceDeclaration(name: string): boolean {
  return name === 'xmlns' || name.startsWith('xmlns:');
}

const escapeText = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xD;');
const escapeAttribute = (t: string) =>
  t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;').replace(/\t/g, '&#x9;').replace(/\n/g, '&#xA;').replace(/\r/g, '&#xD;');

/** The namespaces in scope at `target` (declarations of its ancestors and itself), or undefined when it is not under `root`. */
function scopeAt(root: XmlElement, target: XmlElement, inherited: Map<string, string> = new Map([['', '']])): Map<string, string> | undefined {
  const scope = new Map(inherited);
  for (const a of root.attributes) if (isNamespaceDeclaration(a.name)) scope.set(a.name === 'xmlns' ? '' : a.name.slice(6), a.value);
  if (root === target) return scope;
  for (const child of root.children) {
    if (child.kind !== 'element') continue;
    const found = scopeAt(child, target, scope);
    if (found) return found;
  }
  return undefined;
}

/**
 * Canonical XML 1.1 of `apex` as a document subset: its in-scope namespaces
 * (from `documentRoot` down) rendered on it, as inclusive c14n does, and
 * `omit` (the enveloped Signature) left out.
 */
export function canonicalize(documentRoot: XmlElement, apex: XmlElement, omit?: XmlElement): string {
  const inherited = scopeAt(documentRoot, apex);
  if (!inherited) throw new XmlError('the element to canonicalize is not in the document');
  const out: string[] = [];
  const render = (element: XmlElement, scopeBefore: Map<string, string>, rendered: Map<string, string>, isApex: boolean) => {
    const scope = new Map(scopeBefore);
    if (!isApex) for (const a of element.attributes) if (isNamespaceDeclaration(a.name)) scope.set(a.name === 'xmlns' ? '' : a.name.slice(6), a.value);
    const namespaces: [string, string][] = [];
    const nowRendered = new Map(rendered);
    for (const [prefix, uri] of scope) {
      const before = rendered.get(prefix) ?? '';
      if (prefix === '' ? uri !== before : uri !== rendered.get(prefix)) {
        namespaces.push([prefix, uri]);
        nowRendered.set(prefix, uri);
      }
    }
    namespaces.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const uriOf = (prefix: string) => {
      if (prefix === '') return '';
      if (prefix === 'xml') return 'http://www.w3.org/XML/1998/namespace';
      const uri = scope.get(prefix);
      if (uri === undefined) throw new XmlError(`prefix ${prefix} is not declared`);
      return uri;
    };
    if (prefixOf(element.name) && !scope.has(prefixOf(element.name))) throw new XmlError(`prefix ${prefixOf(element.name)} is not declared`);
    const attributes = element.attributes
      .filter((a) => !isNamespaceDeclaration(a.name))
      .map((a) => ({ ...a, uri: uriOf(prefixOf(a.name)), local: a.name.slice(prefixOf(a.name) ? prefixOf(a.name).length + 1 : 0) }))
      .sort((a, b) => (a.uri !== b.uri ? (a.uri < b.uri ? -1 : 1) : a.local < b.local ? -1 : a.local > b.local ? 1 : 0));
    out.push(`<${element.name}`);
    for (const [prefix, uri] of namespaces) out.push(` ${prefix ? `xmlns:${prefix}` : 'xmlns'}="${escapeAttribute(uri)}"`);
    for (const a of attributes) out.push(` ${a.name}="${escapeAttribute(a.value)}"`);
    out.push('>');
    for (const child of element.children) {
      if (child.kind === 'text') out.push(escapeText(child.text));
      else if (child !== omit) render(child, scope, nowRendered, false);
    }
    out.push(`</${element.name}>`);
  };
  render(apex, inherited, new Map(), true);
  return out.join('');
}

export function childElements(element: XmlElement, name?: string): XmlElement[] {
  return element.children.filter((c): c is XmlElement => c.kind === 'element' && (name === undefined || c.name === name || c.name.endsWith(`:${name}`)));
}

export function textOf(element: XmlElement): string {
  return element.children.map((c) => (c.kind === 'text' ? c.text : textOf(c))).join('');
}
