// Types for the part of avro-js (the Apache Avro JavaScript implementation) this repository
// uses: parse a schema, then encode (the Pub/Sub sandbox) and decode (the CDC subscriber) records.
declare module 'avro-js' {
  interface AvroType {
    toBuffer(value: unknown): Buffer;
    fromBuffer(buffer: Buffer): unknown;
  }
  const avro: { parse(schema: unknown): AvroType };
  export default avro;
}
