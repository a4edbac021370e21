// groups.test.js — kafkajs 2.2.4 consumer groups against Basin.
//   node groups.test.js BOOTSTRAP
// Prints PASS/FAIL lines (lib.sh conventions); exit 0 only if all passed.
// Checks: two kafkajs consumers in one group with eachMessage split four
// partitions and read every message once; a consumer using eachBatch with
// manual resolveOffset/commitOffsetsIfNecessary reads everything; after it
// disconnects, committed offsets (admin.fetchOffsets) equal the end offsets
// and a new member of the group reads only new messages.
'use strict';
const { Kafka, logLevel } = require('kafkajs');

const bootstrap = process.argv[2];
let failures = 0;
const pass = (n) => console.log(`PASS ${n}`);
const fail = (n, why) => { console.log(`FAIL ${n}: ${why}`); failures++; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(pred, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return true;
    await sleep(100);
  }
  return pred();
}

async function main() {
  const kafka = new Kafka({ clientId: 'itest-js', brokers: [bootstrap], logLevel: logLevel.NOTHING,
                            retry: { retries: 8, initialRetryTime: 200 } });
  const admin = kafka.admin();
  await admin.connect();
  const topic = 'js-groups';
  await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  const send = async (from, n) => {
    const messages = [];
    for (let i = from; i < from + n; i++) messages.push({ value: String(i), partition: i % 4 });
    await producer.send({ topic, messages });
  };
  await send(0, 400);

  // 1. eachMessage, two members
  const seen = new Map();
  const members = [];
  const assigned = [0, 0];
  for (let k = 0; k < 2; k++) {
    const c = kafka.consumer({ groupId: 'js-each-message', sessionTimeout: 10000,
                               heartbeatInterval: 500, rebalanceTimeout: 10000 });
    c.on(c.events.GROUP_JOIN, (e) => {
      const a = e.payload.memberAssignment[topic] || [];
      assigned[k] = a.length;
    });
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({ eachMessage: async ({ message }) => {
      const v = message.value.toString();
      seen.set(v, (seen.get(v) || 0) + 1);
    } });
    members.push(c);
  }
  await waitFor(() => seen.size >= 400 && assigned[0] === 2 && assigned[1] === 2, 30000);
  if (assigned[0] === 2 && assigned[1] === 2) pass('js.group_two_members_split'); else
    fail('js.group_two_members_split', `assignments ${assigned}`);
  if (seen.size === 400) pass('js.each_message_reads_all'); else
    fail('js.each_message_reads_all', `read ${seen.size} of 400 distinct`);
  for (const c of members) await c.disconnect();

  // 2. eachBatch with manual offset resolution
  await send(400, 400);
  const batchSeen = new Set();
  const cb = kafka.consumer({ groupId: 'js-each-batch', sessionTimeout: 10000, heartbeatInterval: 500 });
  await cb.connect();
  await cb.subscribe({ topic, fromBeginning: true });
  await cb.run({ eachBatchAutoResolve: false, autoCommit: true, eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary }) => {
    for (const m of batch.messages) {
      batchSeen.add(m.value.toString());
      resolveOffset(m.offset);
    }
    await commitOffsetsIfNecessary();
    await heartbeat();
  } });
  await waitFor(() => batchSeen.size >= 800, 30000);
  if (batchSeen.size === 800) pass('js.each_batch_reads_all'); else
    fail('js.each_batch_reads_all', `read ${batchSeen.size} of 800`);
  await cb.disconnect();

  const offs = await admin.fetchOffsets({ groupId: 'js-each-batch', topics: [topic] });
  const parts = (offs[0] && offs[0].partitions) || [];
  const committed = parts.map((p) => Number(p.offset)).reduce((a, b) => a + b, 0);
  if (parts.length === 4 && committed === 800) pass('js.committed_offsets'); else
    fail('js.committed_offsets', `fetchOffsets: ${JSON.stringify(parts)}`);

  // 3. a new member of the same group resumes after the commits
  await send(800, 40);
  const resumed = [];
  const cr = kafka.consumer({ groupId: 'js-each-batch', sessionTimeout: 10000, heartbeatInterval: 500 });
  await cr.connect();
  await cr.subscribe({ topic, fromBeginning: true });
  await cr.run({ eachMessage: async ({ message }) => { resumed.push(Number(message.value.toString())); } });
  await waitFor(() => resumed.length >= 40, 30000);
  await sleep(500);
  const min = Math.min(...resumed);
  if (resumed.length === 40 && min === 800) pass('js.resume_after_commit'); else
    fail('js.resume_after_commit', `read ${resumed.length} messages, lowest ${min}`);
  await cr.disconnect();

  const groups = await admin.listGroups();
  const ids = groups.groups.map((g) => g.groupId);
  if (ids.includes('js-each-message') && ids.includes('js-each-batch')) pass('js.list_groups'); else
    fail('js.list_groups', `groups: ${ids}`);
  const desc = await admin.describeGroups(['js-each-batch']);
  if (desc.groups[0] && desc.groups[0].state === 'Empty') pass('js.describe_groups'); else
    fail('js.describe_groups', JSON.stringify(desc.groups[0]));
  await admin.deleteGroups(['js-each-message']);
  const after = (await admin.listGroups()).groups.map((g) => g.groupId);
  if (!after.includes('js-each-message')) pass('js.delete_groups'); else fail('js.delete_groups', `${after}`);

  await producer.disconnect();
  await admin.disconnect();
}

main().then(() => process.exit(failures ? 1 : 0)).catch((e) => {
  fail('js.groups', e.stack || String(e));
  process.exit(1);
});
