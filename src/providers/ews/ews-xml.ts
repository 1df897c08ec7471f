// The XML both ways for EWS: escaping every text that goes into a SOAP request (a subject with
// `<&>` or a control character pasted from a word processor must never break or change the
// envelope), and reading a response into plain objects with namespace prefixes dropped. Nothing
// here knows an EWS operation; requests are built from these pieces in ews-requests.ts.
import { XMLParser } from 'fast-xml-parser';

/** The SOAP envelope's and EWS's namespaces, as every request declares them. */
export const namespaces = {
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  types: 'http://schemas.microsoft.com/exchange/services/2006/types',
  messages: 'http://schemas.microsoft.com/exchange/services/2006/messages',
} as const;

/**
 * `value` with only what XML 1.0 allows in a document: C0 controls other than tab, line feed and
 * carriage return are not allowed even as character references, nor U+FFFE/U+FFFF, nor half of a
 * surrogate pair standing alone (a string cut in the middle of an emoji), which becomes U+FFFD.
 */
function allowed(value: string): string {
  let kept = '';
  for (const character of value.toWellFormed()) {
    const code = character.codePointAt(0) ?? 0;
    // Vertical tab and form feed are line breaks where they come from (Word, Outlook): keep the break.
    if (code === 0x0b || code === 0x0c) kept += '\n';
    else if (
      (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) ||
      code === 0xfffe ||
      code === 0xffff
    )
      continue;
    else kept += character;
  }
  return kept;
}

const textReferences: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // A literal carriage return would be read back as a line feed (XML's end-of-line handling).
  '\r': '&#13;',
};

/** `value` as element content: the five XML specials escaped, carriage returns kept, forbidden characters gone. */
export function escapeXml(value: string): string {
  return allowed(value).replace(/[&<>"'\r]/g, (c) => textReferences[c] ?? c);
}

/** `value` as an attribute value: as escapeXml, and tabs and line breaks as references (a parser would turn them into spaces). */
export function escapeXmlAttribute(value: string): string {
  return escapeXml(value).replace(/[\t\n]/g, (c) => (c === '\t' ? '&#9;' : '&#10;'));
}

/** An element of the types namespace with escaped text: `<t:Subject>…</t:Subject>`. */
export function typesElement(name: string, text: string): string {
  return `<t:${name}>${escapeXml(text)}</t:${name}>`;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  // Without it numeric references (&#13;, which Exchange writes for a carriage return) stay
  // undecoded; it also knows HTML's names, which a well-formed EWS answer never holds.
  htmlEntities: true,
});

/** A parsed element: attributes as `@Name`, text as `#text`, children by local name. */
export type XmlNode = Record<string, unknown>;

/** The document as plain objects (namespace prefixes dropped), or undefined when it is not XML. */
export function parseXml(xml: string): XmlNode | undefined {
  try {
    const parsed: unknown = parser.parse(xml, true);
    return typeof parsed === 'object' && parsed !== null ? (parsed as XmlNode) : undefined;
  } catch {
    return undefined;
  }
}

/** The child elements called `name` (none, one or several), as nodes. */
export function children(node: unknown, name: string): XmlNode[] {
  if (typeof node !== 'object' || node === null) return [];
  const value = (node as XmlNode)[name];
  const list = Array.isArray(value) ? (value as unknown[]) : value === undefined ? [] : [value];
  // An element with neither attributes nor children is parsed as a string: make it a node too.
  return list.map((entry) =>
    typeof entry === 'object' && entry !== null ? (entry as XmlNode) : { '#text': scalar(entry) ?? '' },
  );
}

/** The first child element called `name`. */
export function child(node: unknown, name: string): XmlNode | undefined {
  return children(node, name)[0];
}

const scalar = (value: unknown) =>
  typeof value === 'string'
    ? value
    : typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : undefined;

/** The text of an element (or of its first child called `name`), or undefined. */
export function text(node: unknown, name?: string): string | undefined {
  const target = name === undefined ? node : child(node, name);
  if (typeof target === 'string') return target;
  if (typeof target !== 'object' || target === null) return undefined;
  return scalar((target as XmlNode)['#text']);
}

/** An attribute of an element. */
export function attribute(node: unknown, name: string): string | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  return scalar((node as XmlNode)[`@${name}`]);
}
