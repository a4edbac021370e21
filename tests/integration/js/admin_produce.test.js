// admin_produce.test.js — kafkajs 2.2.4 admin client and producer against Basin.
//   node admin_produce.test.js BOOTSTRAP EXPECTED_FILE
// Prints PASS/FAIL lines (lib.sh conventions); exit 0 only if all passed.
// Admin: createTopics (with configs), fetchTopicMetadata, describeConfigs
// (topic and broker), alterConfigs, createPartitions, fetchTopicOffsets,
// fetchTopicOffsetsByTimestamp, deleteTopicRecords, deleteTopics.
// Producer: keys, null keys and values, headers, explicit partitions, gzip,
// acks -1 and 1. The data produced to topic js-data is written to
// EXPECTED_FILE as kcat '%p|%o|%K|%k|%S|%s|%h' lines, for the shell script
// to compare with what kcat reads back.
'use strict';
const fs = require('fs');
const { Kafka, logLevel, CompressionTypes, ConfigResourceTypes } = require('kafkajs');

const [bootstrap, expectedFile] = process.argv.slice(2);
let failures = 0;
const pass = (n) => console.log(`PASS kafkajs.${n}`);
const fail = (n, why) => { console.log(`FAIL kafkajs.${n}: ${why}`); failures++; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Runs one named step; an exception fails it with its message.
async function step(name, fn) {
  try {
    const why = await fn();
    if (why) fail(name, why); else pass(name);
  } catch (e) {
    fail(name, `${e.name}: ${e.message}`);
  }
}

function configOf(res, resName, key) {
  const r = res.resources.find((x) => x.resourceName === resName);
  if (!r) return { missing: `resource ${resName} not in DescribeConfigs response` };
  if (r.errorCode) return { missing: `resource ${resName}: error ${r.errorCode} ${r.errorMessage}` };
  const e = r.configEntries.find((x) => x.configName === key);
  if (!e) return { missing: `${key} not described for ${resName}` };
  return e;
}

async function main() {
  const kafka = new Kafka({ clientId: 'itest-js', brokers: [bootstrap], logLevel: logLevel.NOTHING,
                            retry: { retries: 5, initialRetryTime: 200 } });
  const admin = kafka.admin();
  await admin.connect();

  await step('create_topics', async () => {
    const created = await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: 'js-a', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '3600000' }] },
               { topic: 'js-data', numPartitions: 2 }],
    });
    if (!created) return 'createTopics returned false (topics already existed?)';
    const again = await admin.createTopics({ topics: [{ topic: 'js-a', numPartitions: 3 }] });
    if (again) return 'creating js-a a second time returned true';
    return null;
  });

  await step('fetch_topic_metadata', async () => {
    const md = await admin.fetchTopicMetadata({ topics: ['js-a'] });
    const t = md.topics.find((x) => x.name === 'js-a');
    if (!t) return 'js-a missing';
    if (t.partitions.length !== 3) return `${t.partitions.length} partitions, expected 3`;
    if (t.partitions.some((p) => p.leader < 0)) return 'a partition has no leader';
    const topics = await admin.listTopics();
    if (!topics.includes('js-a') || !topics.includes('js-data')) return `listTopics: ${topics}`;
    return null;
  });

  await step('describe_configs_topic', async () => {
    const res = await admin.describeConfigs({ includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: 'js-a' }] });
    const e = configOf(res, 'js-a', 'retention.ms');
    if (e.missing) return e.missing;
    if (e.configValue !== '3600000') return `retention.ms = ${e.configValue}, expected 3600000`;
    const c = configOf(res, 'js-a', 'cleanup.policy');
    if (c.missing) return c.missing;
    return c.configValue === 'delete' ? null : `cleanup.policy = ${c.configValue}`;
  });

  await step('describe_configs_broker', async () => {
    const cluster = await admin.describeCluster();
    const id = String(cluster.brokers[0].nodeId);
    if (cluster.controller !== cluster.brokers[0].nodeId) return `controller ${cluster.controller}, broker ${id}`;
    const res = await admin.describeConfigs({ includeSynonyms: true,
      resources: [{ type: ConfigResourceTypes.BROKER, name: id }] });
    for (const key of ['num.partitions', 'log.segment.bytes', 'message.max.bytes']) {
      const e = configOf(res, id, key);
      if (e.missing) return e.missing;
    }
    return null;
  });

  await step('alter_configs', async () => {
    await admin.alterConfigs({ validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: 'js-a',
                    configEntries: [{ name: 'retention.ms', value: '7200000' }] }] });
    const res = await admin.describeConfigs({ includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: 'js-a' }] });
    const e = configOf(res, 'js-a', 'retention.ms');
    if (e.missing) return e.missing;
    return e.configValue === '7200000' ? null : `retention.ms = ${e.configValue} after alterConfigs, expected 7200000`;
  });

  await step('create_partitions', async () => {
    await admin.createPartitions({ topicPartitions: [{ topic: 'js-a', count: 4 }] });
    const end = Date.now() + 10000;
    let n = 0;
    while (Date.now() < end) {
      const md = await admin.fetchTopicMetadata({ topics: ['js-a'] });
      n = md.topics[0].partitions.length;
      if (n === 4) return null;
      await sleep(200);
    }
    return `${n} partitions after createPartitions to 4`;
  });

  // Producer: js-data, 2 partitions, 20 messages; the second half gzip, acks 1.
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const expected = [];
  const nextOffset = [0, 0];
  const mk = (i) => {
    const m = { partition: i % 2, key: i % 5 === 4 ? null : `k${i}`, value: i % 4 === 3 ? null : `v${i}` };
    if (i % 2 === 0) m.headers = { h: `x${i}`, second: 'yes' };
    const p = m.partition;
    const key = m.key === null ? '' : m.key;
    const val = m.value === null ? '' : m.value;
    expected.push([p, nextOffset[p]++, m.key === null ? -1 : key.length, key, m.value === null ? -1 : val.length,
                   val, m.headers ? `h=x${i},second=yes` : ''].join('|'));
    return m;
  };
  await step('produce_keys_nulls_headers', async () => {
    const msgs = [];
    for (let i = 0; i < 10; i++) msgs.push(mk(i));
    const r = await producer.send({ topic: 'js-data', acks: -1, messages: msgs });
    const bad = r.filter((x) => x.errorCode !== 0);
    if (bad.length) return `errors ${JSON.stringify(bad)}`;
    const offs = r.map((x) => `${x.partition}:${x.baseOffset}`).sort().join(',');
    return offs === '0:0,1:0' ? null : `base offsets ${offs}, expected 0:0,1:0`;
  });
  await step('produce_gzip', async () => {
    const msgs = [];
    for (let i = 10; i < 20; i++) msgs.push(mk(i));
    const r = await producer.send({ topic: 'js-data', acks: 1, compression: CompressionTypes.GZIP, messages: msgs });
    const offs = r.map((x) => `${x.partition}:${x.baseOffset}`).sort().join(',');
    return offs === '0:5,1:5' ? null : `base offsets ${offs}, expected 0:5,1:5`;
  });
  expected.sort((a, b) => {
    const [pa, oa] = a.split('|').map(Number);
    const [pb, ob] = b.split('|').map(Number);
    return pa - pb || oa - ob;
  });
  fs.writeFileSync(expectedFile, expected.join('\n') + '\n');

  // Timestamps: 10 messages to js-a[0] with T0 + i s.
  const t0 = Date.now() - 3600 * 1000;
  await step('produce_timestamps', async () => {
    for (let i = 0; i < 10; i++) {
      await producer.send({ topic: 'js-a', acks: -1,
        messages: [{ partition: 0, value: `ts${i}`, timestamp: String(t0 + i * 1000) }] });
    }
    return null;
  });

  await step('fetch_topic_offsets', async () => {
    const offs = await admin.fetchTopicOffsets('js-a');
    const p0 = offs.find((o) => o.partition === 0);
    if (offs.length !== 4) return `${offs.length} partitions, expected 4`;
    return p0.high === '10' && p0.low === '0' ? null : `js-a[0] low ${p0.low} high ${p0.high}, expected 0 and 10`;
  });

  await step('fetch_topic_offsets_by_timestamp', async () => {
    const got = await admin.fetchTopicOffsetsByTimestamp('js-a', t0 + 3500);
    const p0 = got.find((o) => o.partition === 0);
    if (p0.offset !== '4') return `offset for T0+3.5 s is ${p0.offset}, expected 4`;
    const early = await admin.fetchTopicOffsetsByTimestamp('js-a', t0 - 1000);
    const e0 = early.find((o) => o.partition === 0);
    return e0.offset === '0' ? null : `offset for T0-1 s is ${e0.offset}, expected 0`;
  });

  await step('delete_topic_records', async () => {
    await admin.deleteTopicRecords({ topic: 'js-a', partitions: [{ partition: 0, offset: '3' }] });
    const offs = await admin.fetchTopicOffsets('js-a');
    const p0 = offs.find((o) => o.partition === 0);
    return p0.low === '3' && p0.high === '10' ? null : `js-a[0] low ${p0.low} high ${p0.high}, expected 3 and 10`;
  });

  await producer.disconnect();

  await step('delete_topics', async () => {
    await admin.deleteTopics({ topics: ['js-a'], timeout: 10000 });
    const end = Date.now() + 10000;
    while (Date.now() < end) {
      const topics = await admin.listTopics();
      if (!topics.includes('js-a')) return null;
      await sleep(200);
    }
    return 'js-a still listed 10 s after deleteTopics';
  });

  await admin.disconnect();
}

main().then(() => process.exit(failures ? 1 : 0), (e) => {
  console.log(`FAIL kafkajs.run: ${e.name}: ${e.message}`);
  process.exit(1);
});
