// eos.test.js — kafkajs 2.2.4 transactional producer against Basin.
//   node eos.test.js BOOTSTRAP
// Prints PASS/FAIL lines (lib.sh conventions); exit 0 only if all passed.
// Transactions on topic js-txn (2 partitions): A committed, B aborted (with
// sendOffsets of js-in to group js-eos-group, which must not stick), C
// committed with sendOffsets (which must stick), D committed by a second
// producer after it fenced the first (the first's open transaction Z is
// aborted and its next send fails). Read back with kafkajs consumers:
// read_committed (readUncommitted: false) sees A, C, D; read_uncommitted sees
// A, B, C, D and Z.
'use strict';
const { Kafka, logLevel } = require('kafkajs');

const [bootstrap] = process.argv.slice(2);
let failures = 0;
const pass = (n) => console.log(`PASS kafkajs.eos.${n}`);
const fail = (n, why) => { console.log(`FAIL kafkajs.eos.${n}: ${why}`); failures++; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const N = 50;
const TOPIC = 'js-txn';

async function step(name, fn) {
  try {
    const why = await fn();
    if (why) fail(name, why); else pass(name);
    return !why;
  } catch (e) {
    fail(name, `${e.name}: ${e.message}`);
    return false;
  }
}

function msgs(tag) {
  const out = [];
  for (let i = 0; i < N; i++) out.push({ partition: i % 2, value: `${tag}:${i}` });
  return out;
}

// Reads js-txn from the start with a fresh group until `want` messages or
// 8 s without news; returns {tag: count} and the duplicate count.
async function readAll(kafka, readUncommitted, want) {
  const consumer = kafka.consumer({ groupId: `js-eos-read-${readUncommitted}-${Date.now()}`, readUncommitted,
                                    maxWaitTimeInMs: 200, sessionTimeout: 10000, rebalanceTimeout: 10000 });
  const counts = {};
  const seen = new Set();
  let dups = 0, total = 0, last = Date.now();
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const v = message.value ? message.value.toString() : '(null)';
      if (seen.has(v)) dups++;
      seen.add(v);
      const tag = v.split(':')[0];
      counts[tag] = (counts[tag] || 0) + 1;
      total++;
      last = Date.now();
    },
  });
  const start = Date.now();
  while (Date.now() - start < 40000) {
    await sleep(200);
    if (total >= want && Date.now() - last > 1500) break;
    if (total > 0 && Date.now() - last > 8000) break;
  }
  await consumer.disconnect();
  return { counts, dups, total };
}

function expectCounts(res, want) {
  for (const [tag, n] of Object.entries(want)) {
    if ((res.counts[tag] || 0) !== n)
      return `transaction ${tag}: ${res.counts[tag] || 0} messages, expected ${n} (saw ${JSON.stringify(res.counts)})`;
  }
  if (res.dups) return `${res.dups} duplicates (saw ${JSON.stringify(res.counts)})`;
  return null;
}

async function main() {
  const kafka = new Kafka({ clientId: 'itest-js-eos', brokers: [bootstrap], logLevel: logLevel.NOTHING,
                            retry: { retries: 5, initialRetryTime: 200 } });
  const admin = kafka.admin();
  await admin.connect();
  await step('create_topics', async () => {
    await admin.createTopics({ waitForLeaders: true,
                               topics: [{ topic: TOPIC, numPartitions: 2 }, { topic: 'js-in', numPartitions: 2 }] });
  });

  const p1 = kafka.producer({ transactionalId: 'js-eos-tx', idempotent: true, maxInFlightRequests: 1,
                              transactionTimeout: 30000 });
  await p1.connect();
  await step('commit', async () => {
    const tx = await p1.transaction();
    await tx.send({ topic: TOPIC, messages: msgs('A') });
    await tx.commit();
  });
  await step('abort_with_offsets', async () => {
    const tx = await p1.transaction();
    await tx.send({ topic: TOPIC, messages: msgs('B') });
    await tx.sendOffsets({ consumerGroupId: 'js-eos-group',
                           topics: [{ topic: 'js-in', partitions: [{ partition: 0, offset: '7' }] }] });
    await tx.abort();
  });
  await step('commit_with_offsets', async () => {
    const tx = await p1.transaction();
    await tx.send({ topic: TOPIC, messages: msgs('C') });
    await tx.sendOffsets({ consumerGroupId: 'js-eos-group',
                           topics: [{ topic: 'js-in', partitions: [{ partition: 0, offset: '42' },
                                                                    { partition: 1, offset: '17' }] }] });
    await tx.commit();
  });
  await step('offsets_follow_transactions', async () => {
    const res = await admin.fetchOffsets({ groupId: 'js-eos-group', topics: ['js-in'] });
    const parts = res[0].partitions.slice().sort((a, b) => a.partition - b.partition);
    const got = parts.map((p) => p.offset).join(',');
    return got === '42,17' ? null : `committed offsets of js-in for js-eos-group are ${got}, expected 42,17 ` +
                                    '(the aborted transaction\'s 7 must never show, the committed one\'s must)';
  });

  // Zombie fencing: p1 has an open transaction Z when p2 inits the same id.
  let zombieTx = null;
  await step('zombie_open', async () => {
    zombieTx = await p1.transaction();
    await zombieTx.send({ topic: TOPIC, messages: msgs('Z') });
  });
  const p2 = kafka.producer({ transactionalId: 'js-eos-tx', idempotent: true, maxInFlightRequests: 1,
                              transactionTimeout: 30000 });
  await step('second_producer_commits', async () => {
    await p2.connect();
    const tx = await p2.transaction();
    await tx.send({ topic: TOPIC, messages: msgs('D') });
    await tx.commit();
  });
  await step('zombie_fenced', async () => {
    try {
      await zombieTx.send({ topic: TOPIC, messages: msgs('Z2') });
      await zombieTx.commit();
    } catch (e) {
      const t = `${e.type || ''} ${e.name} ${e.message}`;
      if (/FENCED|INVALID_PRODUCER_EPOCH|epoch/i.test(t)) return null;
      return `zombie failed, but not as fenced: ${t}`;
    }
    return 'the fenced producer could still send and commit';
  });
  await p1.disconnect().catch(() => {});
  await p2.disconnect().catch(() => {});

  await step('read_committed', async () => {
    const res = await readAll(kafka, false, 3 * N);
    return expectCounts(res, { A: N, B: 0, C: N, D: N, Z: 0, Z2: 0 });
  });
  await step('read_uncommitted', async () => {
    const res = await readAll(kafka, true, 5 * N);
    return expectCounts(res, { A: N, B: N, C: N, D: N, Z: N });
  });
  await admin.disconnect();
}

main().then(() => process.exit(failures ? 1 : 0), (e) => {
  console.log(`FAIL kafkajs.eos.run: ${e.name}: ${e.message}`);
  process.exit(1);
});
