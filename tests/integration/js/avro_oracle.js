// avro_oracle.js — independent oracle for Basin's Avro compatibility checker.
//
// usage: node avro_oracle.js PAIRS.json
// For every pair {id, r, w} of the table prints two lines
//   <id> fwd <1|0>   can data written with w be read with r?
//   <id> rev <1|0>   can data written with r be read with w?
// deciding with avsc: Type.forSchema(reader).createResolver(forSchema(writer))
// throws when the writer's data cannot be read. ignoreNamespaces makes avsc
// compare unqualified names, as Java Avro 1.9+ (and so Confluent) does.
// A schema avsc itself rejects prints "<id> <dir> E <message>".
'use strict';
const fs = require('fs');
const avro = require('avsc');

function decide(readerSchema, writerSchema) {
  let reader, writer;
  try {
    reader = avro.Type.forSchema(readerSchema);
    writer = avro.Type.forSchema(writerSchema);
  } catch (e) {
    return 'E ' + String(e.message).replace(/\s+/g, ' ');
  }
  try {
    reader.createResolver(writer, { ignoreNamespaces: true });
    return '1';
  } catch (e) {
    return '0';
  }
}

const pairs = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
for (const p of pairs) {
  console.log(`${p.id} fwd ${decide(p.r, p.w)}`);
  console.log(`${p.id} rev ${decide(p.w, p.r)}`);
}
