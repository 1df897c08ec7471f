// The part of avro-js (the Apache Avro JavaScript implementation the Pub/Sub client also uses)
// that the sandbox calls: parse a schema, then encode and decode records with it.
declare module 'avro-js' {
  interface AvroType {
    toBuffer(value: unknown): Buffer;
    fromBuffer(buffer: Buffer): unknown;
  }
  const avro: { parse(schema: unknown): AvroType };
  export default avro;
}
