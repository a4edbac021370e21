// eos_txn_kafkajs.js — transactional production with kafkajs (issue 4 benchmark).
//
//   node bench/eos_txn_kafkajs.js BOOTSTRAP TOPIC COUNT PRODUCERS START_EPOCH_MS
//
// Creates TOPIC (6 partitions) if missing, connects PRODUCERS transactional
// producers (transactional.id "eosjs-<pid>-<i>", one partition each: i % 6),
// waits until the wall clock reaches START_EPOCH_MS (so that several processes
// started by bench/eos_bench.sh begin together), then each producer writes
// COUNT/PRODUCERS messages of 100 bytes in transactions of 100 messages
// (send, then commit; any error stops the run with exit status 1).
// Prints one line: "start_ms=<epoch ms> end_ms=<epoch ms> msgs=<n>", the
// times taken from the same wall clock in every process; the caller divides
// the messages of all processes by (latest end - common start).
// kafkajs comes from tests/integration/js/node_modules (npm ci there).
'use strict';
const path = require('path');
const { performance } = require('perf_hooks');
const { Kafka, logLevel } = require(
  path.join(__dirname, '..', 'tests', 'integration', 'js', 'node_modules', 'kafkajs'));

const [bootstrap, topic, countArg, producersArg, startArg] = process.argv.slice(2);
const count = Number(countArg);
const producers = Number(producersArg);
const startAt = Number(startArg);
if (!bootstrap || !topic || !(count > 0) || !(producers > 0) || !(startAt > 0)) {
  console.error('usage: eos_txn_kafkajs.js BOOTSTRAP TOPIC COUNT PRODUCERS START_EPOCH_MS');
  process.exit(2);
}
const PER_TXN = 100;
const nowMs = () => performance.timeOrigin + performance.now();

async function main() {
  const kafka = new Kafka({ clientId: 'eos-bench-js', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
  await admin.disconnect();

  const value = Buffer.alloc(100, 'x');
  const list = [];
  for (let i = 0; i < producers; i++) {
    const p = kafka.producer({
      transactionalId: `eosjs-${process.pid}-${i}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await p.connect();
    list.push(p);
  }
  const per = Math.floor(count / producers);
  const wait = startAt - nowMs();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const start = nowMs();
  await Promise.all(list.map(async (p, i) => {
    const messages = Array.from({ length: PER_TXN }, () => ({ value, partition: i % 6 }));
    for (let sent = 0; sent < per; sent += PER_TXN) {
      const n = Math.min(PER_TXN, per - sent);
      const txn = await p.transaction();
      await txn.send({ topic, messages: n === PER_TXN ? messages : messages.slice(0, n) });
      await txn.commit();
    }
  }));
  const end = nowMs();
  console.log(`start_ms=${Math.round(Math.max(start, startAt))} end_ms=${Math.round(end)} msgs=${per * producers}`);
  for (const p of list) await p.disconnect();
}

main().catch((e) => {
  console.error(`eos_txn_kafkajs: ${e && e.message ? e.message : e}`);
  process.exit(1);
});
