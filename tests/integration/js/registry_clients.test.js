// registry_clients.test.js — real npm Schema Registry clients against
// `basin registry`, with data going through the Basin broker:
//   node registry_clients.test.js REGISTRY_URL BOOTSTRAP
// Clients: @kafkajs/confluent-schema-registry 4.1.0 (register, config
// handshake, encode/decode, lookups, incompatible registration),
// avro-schema-registry 2.1.5 (encodeMessage, encodeKey, encodeById,
// encodeMessageByTopicName, decode), avsc 5.7.9 as the independent Avro
// oracle for the bytes on the wire. Messages encoded by one client are
// produced with kafkajs, consumed back and decoded by the other client.
// Prints PASS/FAIL lines (lib.sh conventions); exit 0 only if all passed.
'use strict';
const { SchemaRegistry, SchemaType, COMPATIBILITY } = require('@kafkajs/confluent-schema-registry');
const avroRegistry = require('avro-schema-registry');
const avsc = require('avsc');
const { Kafka, logLevel } = require('kafkajs');

const [url, bootstrap] = process.argv.slice(2);
let failures = 0;
const pass = (n) => console.log(`PASS registry_js.${n}`);
const fail = (n, why) => { console.log(`FAIL registry_js.${n}: ${why}`); failures++; };

async function step(name, fn) {
  try {
    const why = await fn();
    if (why) fail(name, why); else pass(name);
  } catch (e) {
    fail(name, `${e.name}: ${e.message}`);
  }
}

const userV1 = {
  type: 'record', name: 'User', namespace: 'com.example',
  fields: [{ name: 'id', type: 'long' }, { name: 'email', type: 'string' }],
};
const userV2 = {
  type: 'record', name: 'User', namespace: 'com.example',
  fields: [
    { name: 'id', type: 'long' }, { name: 'email', type: 'string' },
    { name: 'tags', type: { type: 'array', items: 'string' }, default: [] },
    { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'] }, default: 'A' },
  ],
};
const userBad = {
  type: 'record', name: 'User', namespace: 'com.example',
  fields: [{ name: 'id', type: 'long' }, { name: 'age', type: 'int' }],
};
const order = {
  type: 'record', name: 'Order', namespace: 'com.example',
  fields: [
    { name: 'sku', type: 'string' },
    { name: 'qty', type: 'int' },
    { name: 'price', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 } },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'ts', type: { type: 'long', logicalType: 'timestamp-millis' } },
  ],
};

(async () => {
  const registry = new SchemaRegistry({ host: url, retry: { retries: 0 } });
  const plain = avroRegistry(url);
  let idV1, idV2;

  // ---- @kafkajs/confluent-schema-registry ----
  await step('kafkajs_register_v1', async () => {
    ({ id: idV1 } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(userV1) },
      { subject: 'users-value' }));
    return Number.isInteger(idV1) && idV1 > 0 ? null : `id ${idV1}`;
  });
  await step('kafkajs_register_again_same_id', async () => {
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(userV1) },
      { subject: 'users-value' });
    return id === idV1 ? null : `id ${id} != ${idV1}`;
  });
  await step('kafkajs_register_v2_compatible', async () => {
    ({ id: idV2 } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(userV2) },
      { subject: 'users-value', compatibility: COMPATIBILITY.BACKWARD }));
    return idV2 > idV1 ? null : `id ${idV2}`;
  });
  await step('kafkajs_incompatible_rejected', async () => {
    try {
      await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(userBad) },
        { subject: 'users-value' });
      return 'an incompatible schema was accepted';
    } catch (e) {
      return /incompatible/i.test(e.message) ? null : `unexpected error: ${e.message}`;
    }
  });
  await step('kafkajs_latest_id', async () => {
    const id = await registry.getLatestSchemaId('users-value');
    return id === idV2 ? null : `latest ${id}, expected ${idV2}`;
  });
  await step('kafkajs_id_by_version', async () => {
    const id = await registry.getRegistryId('users-value', 1);
    return id === idV1 ? null : `${id}`;
  });
  await step('kafkajs_id_by_schema', async () => {
    const id = await registry.getRegistryIdBySchema('users-value',
      { type: SchemaType.AVRO, schema: JSON.stringify(userV1) });
    return id === idV1 ? null : `${id}`;
  });
  await step('kafkajs_encode_decode', async () => {
    const value = { id: 42, email: 'a@b.c', tags: ['x', 'y'], kind: 'B' };
    const buf = await registry.encode(idV2, value);
    if (buf[0] !== 0 || buf.readInt32BE(1) !== idV2) return 'bad wire header';
    const back = await new SchemaRegistry({ host: url }).decode(buf); // fresh cache: fetches by id
    return JSON.stringify(back) === JSON.stringify(value) ? null : JSON.stringify(back);
  });
  await step('kafkajs_logical_types', async () => {
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(order) },
      { subject: 'orders-value' });
    const value = { sku: 'k1', qty: 3, price: Buffer.from([0x01, 0x2c]), note: 'n', ts: 1700000000000 };
    const buf = await registry.encode(id, value);
    const back = await new SchemaRegistry({ host: url }).decode(buf);
    return back.sku === 'k1' && back.qty === 3 && back.ts === 1700000000000 ? null : JSON.stringify(back);
  });

  // ---- avro-schema-registry ----
  let plainBuf;
  await step('plain_encode_message', async () => {
    plainBuf = await plain.encodeMessage('plain', userV1, { id: 7, email: 'p@q.r' });
    const id = plainBuf.readUInt32BE(1);
    return id === idV1 ? null : `id ${id}, expected the existing id ${idV1} (same schema, other subject)`;
  });
  await step('plain_decode', async () => {
    const v = await avroRegistry(url).decode(plainBuf);
    return v.id === 7 && v.email === 'p@q.r' ? null : JSON.stringify(v);
  });
  await step('plain_encode_key', async () => {
    const buf = await plain.encodeKey('plain', 'string', 'k-1');
    const v = await avroRegistry(url).decode(buf);
    return v === 'k-1' ? null : JSON.stringify(v);
  });
  await step('plain_encode_by_id', async () => {
    const buf = await plain.encodeById(idV2, { id: 1, email: 'e', tags: [], kind: 'A' });
    return buf.readUInt32BE(1) === idV2 ? null : 'wrong id';
  });
  await step('plain_encode_by_topic_name', async () => {
    // takes the subject name as given: GET /subjects/{s}/versions (last
    // element, so the list must be ascending) then /versions/{v}
    const buf = await avroRegistry(url).encodeMessageByTopicName('users-value', { id: 2, email: 'f', tags: ['t'], kind: 'B' });
    return buf.readUInt32BE(1) === idV2 ? null : `id ${buf.readUInt32BE(1)}`;
  });
  await step('plain_error_message', async () => {
    try {
      await avroRegistry(url).encodeMessage('users', userBad, { id: 1, age: 2 });
      return 'incompatible schema accepted';
    } catch (e) {
      return /409|incompatible/i.test(String(e.message || e)) ? null : String(e.message || e);
    }
  });
  await step('avsc_oracle_reads_wire_bytes', async () => {
    const buf = await registry.encode(idV2, { id: 5, email: 'o', tags: ['z'], kind: 'A' });
    const v = avsc.Type.forSchema(userV2).fromBuffer(buf.subarray(5));
    const reader = avsc.Type.forSchema(userV1);
    const old = reader.fromBuffer(buf.subarray(5), reader.createResolver(avsc.Type.forSchema(userV2)));
    return v.id === 5 && v.tags[0] === 'z' && old.email === 'o' ? null : JSON.stringify(v);
  });

  // ---- through Kafka: encode with one client, decode with the other ----
  if (bootstrap) {
    await step('through_kafka_cross_client', async () => {
      const kafka = new Kafka({ brokers: [bootstrap], clientId: 'registry-js', logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'users', numPartitions: 1 }] });
      await admin.disconnect();
      const producer = kafka.producer();
      await producer.connect();
      const a = await registry.encode(idV2, { id: 100, email: 'k', tags: [], kind: 'A' });
      const b = await plain.encodeMessage('users', userV2, { id: 101, email: 'l', tags: ['q'], kind: 'B' });
      await producer.send({ topic: 'users', messages: [{ value: a }, { value: b }] });
      await producer.disconnect();
      const consumer = kafka.consumer({ groupId: 'registry-js' });
      await consumer.connect();
      await consumer.subscribe({ topic: 'users', fromBeginning: true });
      const got = [];
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('timed out consuming')), 30000);
        consumer.run({
          eachMessage: async ({ message }) => {
            got.push(message.value);
            if (got.length === 2) { clearTimeout(timer); resolve(); }
          },
        });
      });
      await consumer.disconnect();
      const d1 = await avroRegistry(url).decode(got[0]); // kafkajs-encoded, plain-decoded
      const d2 = await new SchemaRegistry({ host: url }).decode(got[1]); // and the other way
      return d1.id === 100 && d2.id === 101 && d2.tags[0] === 'q' ? null : JSON.stringify([d1, d2]);
    });
  }
  process.exit(failures ? 1 : 0);
})().catch((e) => { console.log(`FAIL registry_js.run: ${e.stack}`); process.exit(2); });
