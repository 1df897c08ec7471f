// XML as EWS reads it: a request body parsed (fast-xml-parser, order preserved) into elements
// with their namespaces resolved from xmlns declarations and the line and position of each start
// tag, so a schema violation can be reported where .NET's validating reader would report it. It
// refuses what an XML 1.0 parser refuses (malformed markup, a DOCTYPE, undeclared entities) with
// the parser's line and position. And the few helpers every answer needs to write XML safely.
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export const ns = {
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  messages: 'http://schemas.microsoft.com/exchange/services/2006/messages',
  types: 'http://schemas.microsoft.com/exchange/services/2006/types',
  errors: 'http://schemas.microsoft.com/exchange/services/2006/errors',
} as const;

export interface XmlElement {
  /** Namespace URI ('' for none). */
  ns: string;
  /** Local name. */
  name: string;
  /** Attributes by their name as written (unprefixed ones carry no namespace). */
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (CDATA included), entities decoded. */
  text: string;
  line: number;
  position: number;
}

/** A document that is not well-formed XML, with where the parser stopped. */
export class MalformedXml extends Error {
  readonly line: number;
  readonly position: number;
  constructor(message: string, line: number, position: number) {
    super(message);
    this.line = line;
    this.position = position;
  }
}

type Node = Record<string, unknown>;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: false,
});

/** Stands for a referenced carriage return while the parser runs. */
const carriageReturn = '\uE00D';
const restoreReturns = (value: string) => value.replaceAll(carriageReturn, '\r');

const xmlEntities = new Set(['lt', 'gt', 'amp', 'quot', 'apos']);
const specialChars: Record<string, string> = {
  '<': '&lt;',
  '&': '&amp;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Line and position (1-based) of an offset in `text`. */
function lineAndPosition(text: string, offset: number): { line: number; position: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, position: offset - start + 1 };
}

/** The offsets of the element names of every start tag, in document order. */
function startTagOffsets(text: string): number[] {
  const offsets: number[] = [];
  const markup = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>|<\/[^>]*>|<([^\s/>!?])/g;
  for (let match = markup.exec(text); match !== null; match = markup.exec(text))
    if (match[1] !== undefined) offsets.push(match.index + 1);
  return offsets;
}

/**
 * Parses a request body. Numeric character references are turned into characters first (the
 * parser leaves them), except the five that are markup, which become their named entities.
 */
export function parseXml(text: string): XmlElement {
  const doctype = /<!DOCTYPE/i.exec(text);
  if (doctype !== null) {
    const at = lineAndPosition(text, doctype.index);
    throw new MalformedXml(
      `For security reasons DTD is prohibited in this XML document. To enable DTD processing set the DtdProcessing property on XmlReaderSettings to Parse and pass the settings into XmlReader.Create method. Line ${at.line}, position ${at.position}.`,
      at.line,
      at.position,
    );
  }
  // CDATA sections and comments hold no references.
  const outside = text.replace(/<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->/g, (section) =>
    ' '.repeat(section.length),
  );
  const entity = /&([^;\s<&]*);/g;
  for (let match = entity.exec(outside); match !== null; match = entity.exec(outside)) {
    const name = match[1] ?? '';
    if (xmlEntities.has(name) || /^#(x[0-9a-fA-F]+|[0-9]+)$/.test(name)) continue;
    const at = lineAndPosition(text, match.index + 1);
    throw new MalformedXml(
      `Reference to undeclared entity '${name}'. Line ${at.line}, position ${at.position}.`,
      at.line,
      at.position,
    );
  }
  const valid = XMLValidator.validate(text);
  if (valid !== true)
    throw new MalformedXml(
      `${valid.err.msg} Line ${valid.err.line}, position ${valid.err.col}.`,
      valid.err.line,
      valid.err.col,
    );
  // XML normalizes literal line breaks to LF (the parser does too), but a character reference to
  // a carriage return is kept: it travels through the parser as a private-use stand-in.
  const decoded = text
    .replace(/\r\n?/g, '\n')
    .split(/(<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->)/)
    .map((part, i) =>
      i % 2 === 1
        ? part
        : part.replace(/&#(x[0-9a-fA-F]+|[0-9]+);/g, (whole, code: string) => {
            const point = code.startsWith('x') ? parseInt(code.slice(1), 16) : Number(code);
            if (!Number.isInteger(point) || point > 0x10ffff) return whole;
            const char = String.fromCodePoint(point);
            return char === '\r' ? carriageReturn : (specialChars[char] ?? char);
          }),
    )
    .join('');
  const offsets = startTagOffsets(text);
  let index = 0;
  const build = (node: Node, scope: Map<string, string>): XmlElement | undefined => {
    const key = Object.keys(node).find((k) => k !== ':@');
    if (key === undefined || key === '#text' || key.startsWith('?') || key.startsWith('!')) return undefined;
    const offset = offsets[index++] ?? 0;
    const rawAttrs = (node[':@'] ?? {}) as Record<string, string>;
    let inner = scope;
    for (const [attr, value] of Object.entries(rawAttrs)) {
      if (attr === 'xmlns' || attr.startsWith('xmlns:')) {
        if (inner === scope) inner = new Map(scope);
        inner.set(attr === 'xmlns' ? '' : attr.slice(6), value);
      }
    }
    const colon = key.indexOf(':');
    const prefix = colon === -1 ? '' : key.slice(0, colon);
    const attrs: Record<string, string> = {};
    for (const [attr, value] of Object.entries(rawAttrs))
      if (attr !== 'xmlns' && !attr.startsWith('xmlns:')) attrs[attr] = restoreReturns(value);
    const element: XmlElement = {
      ns: inner.get(prefix) ?? (prefix === '' ? '' : `undeclared:${prefix}`),
      name: colon === -1 ? key : key.slice(colon + 1),
      attrs,
      children: [],
      text: '',
      ...lineAndPosition(text, offset),
    };
    for (const child of (node[key] ?? []) as Node[]) {
      if ('#text' in child) element.text += restoreReturns(String(child['#text']));
      else {
        const built = build(child, inner);
        if (built !== undefined) element.children.push(built);
      }
    }
    return element;
  };
  const roots = (parser.parse(decoded) as Node[])
    .map((node) => build(node, new Map([['xml', 'http://www.w3.org/XML/1998/namespace']])))
    .filter((e) => e !== undefined);
  const root = roots[0];
  if (root === undefined || roots.length > 1) throw new MalformedXml('Root element is missing.', 1, 1);
  return root;
}

/** The children of `element` named `name` in `namespace` (types unless said). */
export const childrenNamed = (element: XmlElement, name: string, namespace: string = ns.types) =>
  element.children.filter((c) => c.name === name && c.ns === namespace);

export const childNamed = (element: XmlElement, name: string, namespace: string = ns.types) =>
  element.children.find((c) => c.name === name && c.ns === namespace);

/** Text for an XML element's content. */
export const escapeText = (value: string) =>
  value.replace(/[<>&]/g, (c) => specialChars[c] ?? c).replace(/\r/g, '&#xD;');

/** Text for an attribute value in double quotes. */
export const escapeAttr = (value: string) =>
  value
    .replace(/[<>&"]/g, (c) => specialChars[c] ?? c)
    .replace(/[\r\n\t]/g, (c) => `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`);

/** `<t:Name attr="...">text</t:Name>`, or `<t:Name attr="..."/>` without content. */
export function tag(name: string, attrs: Record<string, string | undefined>, content?: string): string {
  const written = Object.entries(attrs)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([key, value]) => ` ${key}="${escapeAttr(value)}"`)
    .join('');
  return content === undefined || content === ''
    ? `<${name}${written}/>`
    : `<${name}${written}>${content}</${name}>`;
}

/** `<t:Name>escaped text</t:Name>`. */
export const textTag = (name: string, value: string) => `<${name}>${escapeText(value)}</${name}>`;
