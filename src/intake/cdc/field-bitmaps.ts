// The field lists of a CDC ChangeEventHeader (changedFields, nulledFields, diffFields) as the
// Pub/Sub API sends them: bitmaps over the writer schema's fields. "0x1E" sets bits 1–4, and bit i
// names the schema's i-th top-level field (least significant bit = field 0); an entry "3-0x0004"
// names bit 2 of the fields of compound field 3 (decoded "<compound>.<field>"). Pure: it never
// guesses. Bits beyond the schema or an entry of another shape are an error, so a caller never acts
// on a field list it could only half read.

/** One top-level field of the writer schema, and a compound field's own fields in their order. */
export interface SchemaField {
  name: string;
  children: readonly string[];
}

export class FieldBitmapError extends Error {
  override name = 'FieldBitmapError';
}

const topLevelEntry = /^0x[0-9a-f]+$/i;
const nestedEntry = /^(\d+)-(0x[0-9a-f]+)$/i;

/** The field names `bitmaps` sets, in schema order (top-level first, then each nested entry's). */
export function decodeFieldBitmaps(bitmaps: readonly string[], fields: readonly SchemaField[]): string[] {
  const names: string[] = [];
  for (const entry of bitmaps) {
    if (topLevelEntry.test(entry)) {
      names.push(
        ...namesOfBits(
          entry,
          fields.map((field) => field.name),
          entry,
        ),
      );
      continue;
    }
    const nested = nestedEntry.exec(entry);
    if (nested === null) throw new FieldBitmapError(`not a field bitmap: "${entry}"`);
    const parent = fields[Number(nested[1])];
    if (parent === undefined || parent.children.length === 0)
      throw new FieldBitmapError(`"${entry}" names field ${nested[1]}, which is not a compound field`);
    names.push(
      ...namesOfBits(nested[2] ?? '', parent.children, entry).map((name) => `${parent.name}.${name}`),
    );
  }
  return names;
}

/** Whether any entry names fields inside a compound field (its values are not plain top-level ones). */
export function hasNestedEntries(bitmaps: readonly string[]): boolean {
  return bitmaps.some((entry) => !topLevelEntry.test(entry));
}

function namesOfBits(hex: string, names: readonly string[], entry: string): string[] {
  let bits = BigInt(hex);
  const set: string[] = [];
  for (let index = 0; bits > 0n; index++, bits >>= 1n) {
    if ((bits & 1n) === 0n) continue;
    const name = names[index];
    if (name === undefined)
      throw new FieldBitmapError(`"${entry}" sets bit ${index}, beyond the schema's ${names.length} fields`);
    set.push(name);
  }
  return set;
}

/**
 * The fields of an Avro record schema (as JSON) in order, with each compound field's own fields: a
 * field whose type is a record, or a union holding one, also when named by reference to a record
 * defined earlier in the schema (Salesforce defines Address once and refers to it after).
 */
export function schemaFieldsOf(schema: unknown): SchemaField[] {
  const named = new Map<string, string[]>();
  const recordFields = (type: unknown, namespace: string | undefined): string[] | undefined => {
    if (typeof type === 'string') return named.get(type) ?? named.get(`${namespace}.${type}`);
    if (Array.isArray(type)) {
      const found = type.map((member) => recordFields(member, namespace)).filter((f) => f !== undefined);
      return found.length === 0 ? undefined : found.flat();
    }
    const record = type as { type?: unknown; name?: unknown; namespace?: unknown; fields?: unknown } | null;
    if (record === null || typeof record !== 'object' || record.type !== 'record') return undefined;
    if (!Array.isArray(record.fields)) throw new FieldBitmapError('a record type has no fields');
    const inner = typeof record.namespace === 'string' ? record.namespace : namespace;
    const names = (record.fields as { name?: unknown; type?: unknown }[]).map((field) => {
      recordFields(field.type, inner); // registers the records defined inside, for later references
      if (typeof field.name !== 'string') throw new FieldBitmapError('a schema field has no name');
      return field.name;
    });
    if (typeof record.name === 'string') {
      named.set(record.name, names);
      if (inner !== undefined && !record.name.includes('.')) named.set(`${inner}.${record.name}`, names);
    }
    return names;
  };
  const top = schema as { type?: unknown; namespace?: unknown; fields?: unknown } | null;
  if (top === null || typeof top !== 'object' || top.type !== 'record' || !Array.isArray(top.fields))
    throw new FieldBitmapError('the schema is not an Avro record');
  const namespace = typeof top.namespace === 'string' ? top.namespace : undefined;
  return (top.fields as { name?: unknown; type?: unknown }[]).map((field) => {
    if (typeof field.name !== 'string') throw new FieldBitmapError('a schema field has no name');
    return { name: field.name, children: recordFields(field.type, namespace) ?? [] };
  });
}
