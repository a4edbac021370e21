// serdes_interop.test.js — the npm Avro client side of Basin's serdes
// interop test (tests/integration/t/90_serdes_console.sh):
//   node serdes_interop.test.js produce REGISTRY_URL BOOTSTRAP TOPIC
//     registers the Payment schema (TOPIC-value) and a record key schema
//     (TOPIC-key) with @kafkajs/confluent-schema-registry, encodes RECORDS
//     and produces them with kafkajs;
//   node serdes_interop.test.js consume REGISTRY_URL BOOTSTRAP TOPIC N
//     consumes N records from the beginning with kafkajs, decodes key and
//     value with @kafkajs/confluent-schema-registry and prints one line per
//     record: "<key>|<JSON of the value>" (Buffers as "hex:...").
// Exit 0 on success; errors go to stderr with exit 1.
'use strict';
const { SchemaRegistry, SchemaType } = require('@kafkajs/confluent-schema-registry');
const { Kafka, logLevel } = require('kafkajs');

const [mode, url, bootstrap, topic, count] = process.argv.slice(2);

const PAYMENT = {
  type: 'record', name: 'Payment', namespace: 'com.example',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'account', type: 'string' },
    { name: 'amount', type: 'double' },
    { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['OK', 'FAILED'] } },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'attrs', type: { type: 'map', values: 'int' } },
    { name: 'raw', type: 'bytes' },
    { name: 'inner', type: { type: 'record', name: 'Inner', fields: [{ name: 'x', type: 'int' }] } },
    { name: 'when', type: { type: 'long', logicalType: 'timestamp-millis' } },
  ],
};

const KEY = { type: 'record', name: 'Key', namespace: 'com.example', fields: [{ name: 'k', type: 'string' }] };

const RECORDS = [
  { key: 'k1', value: { id: 1, account: 'acct-1', amount: 10.5, status: 'OK', note: null, tags: [],
    attrs: {}, raw: Buffer.from([0, 1, 255]), inner: { x: -1 }, when: 1700000000000 } },
  { key: 'k2', value: { id: 2, account: 'caf\u00e9 "q"', amount: -0.25, status: 'FAILED',
    note: 'hello', tags: ['a', 'b'], attrs: { k: 7 }, raw: Buffer.alloc(0), inner: { x: 2147483647 },
    when: 0 } },
];

const replacer = (k, v) => (v && v.type === 'Buffer' && Array.isArray(v.data))
  ? 'hex:' + Buffer.from(v.data).toString('hex') : v;

async function main() {
  const registry = new SchemaRegistry({ host: url });
  const kafka = new Kafka({ clientId: 'serdes-interop', brokers: [bootstrap], logLevel: logLevel.NOTHING,
    retry: { retries: 5 } });
  if (mode === 'produce') {
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(PAYMENT) },
      { subject: `${topic}-value` });
    const { id: kid } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(KEY) },
      { subject: `${topic}-key` });
    const messages = [];
    for (const r of RECORDS)
      messages.push({ key: await registry.encode(kid, { k: r.key }), value: await registry.encode(id, r.value) });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages });
    await producer.disconnect();
    console.log(`produced ${messages.length} value-schema-id=${id} key-schema-id=${kid}`);
    return;
  }
  if (mode === 'consume') {
    const want = parseInt(count, 10);
    const consumer = kafka.consumer({ groupId: `serdes-interop-${process.pid}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const lines = [];
    let failure = null;
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, 30000);
      consumer.run({
        eachMessage: async ({ message }) => {
          try {
            const key = message.key ? await registry.decode(message.key) : null;
            const value = await registry.decode(message.value);
            lines.push(`${key}|${JSON.stringify(value, replacer)}`);
          } catch (e) {
            failure = e;
          }
          if (lines.length >= want || failure) { clearTimeout(timer); resolve(); }
        },
      });
    });
    await consumer.disconnect();
    if (failure) throw failure;
    for (const l of lines) console.log(l);
    if (lines.length < want) throw new Error(`only ${lines.length} of ${want} records within 30 s`);
    return;
  }
  throw new Error(`unknown mode ${mode}`);
}

main().then(() => process.exit(0), (e) => {
  console.error(`serdes_interop: ${e.name}: ${e.message}`);
  process.exit(1);
});
