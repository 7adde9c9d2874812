// @confluentinc/schemaregistry 1.10.1 against Schemata: .proto text registration, reads in
// text and serialized form, references by import path, compatibility and bad input.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { SchemaRegistryClient } = require('@confluentinc/schemaregistry');
const { fromBinary } = require('@bufbuild/protobuf');
const { FileDescriptorProtoSchema } = require('@bufbuild/protobuf/wkt');

const url = process.env.SCHEMATA_URL;
if (!url) throw new Error('SCHEMATA_URL is not set; run tests/e2e/run.sh');

const tag = () => crypto.randomUUID().replace(/-/g, '').slice(0, 10);
const client = () => new SchemaRegistryClient({ baseURLs: [url] });

function decodeDescriptor(b64) {
  return fromBinary(FileDescriptorProtoSchema, Buffer.from(b64, 'base64'));
}

test('.proto text: register, read as text and as a serialized descriptor', async () => {
  const t = tag();
  const subject = `npm-proto-${t}-value`;
  const proto = `syntax = "proto3";
package npm.p${t};

import "google/protobuf/timestamp.proto";

// A sensor reading.
message Reading {
  string sensor = 1;
  double value = 2;
  google.protobuf.Timestamp at = 3;
  map<string, string> labels = 4;
  oneof source {
    string device = 5;
    string gateway = 6;
  }
  Quality quality = 7;
  enum Quality {
    QUALITY_UNKNOWN = 0;
    QUALITY_GOOD = 1;
  }
}
`;
  const id = await client().register(subject, { schemaType: 'PROTOBUF', schema: proto });
  assert.ok(Number.isInteger(id) && id > 0);

  // Same id for the same schema from another client, formatting aside.
  const reformatted = proto.replace('// A sensor reading.\n', '').replace(/\n\n/g, '\n');
  assert.equal(await client().register(subject, { schemaType: 'PROTOBUF', schema: reformatted }), id);

  const info = await client().getBySubjectAndId(subject, id);
  assert.equal(info.schemaType, 'PROTOBUF');
  assert.match(info.schema, /^syntax = "proto3";/);
  assert.match(info.schema, /message Reading \{/);
  assert.match(info.schema, /import "google\/protobuf\/timestamp.proto";/);
  assert.doesNotMatch(info.schema, /A sensor reading/);

  const serialized = await client().getBySubjectAndId(subject, id, 'serialized');
  const fd = decodeDescriptor(serialized.schema);
  assert.equal(fd.package, `npm.p${t}`);
  assert.deepEqual(fd.dependency, ['google/protobuf/timestamp.proto']);
  assert.deepEqual(fd.messageType.map((m) => m.name), ['Reading']);
  const fields = fd.messageType[0].field.map((f) => [f.name, f.number]);
  assert.deepEqual(fields, [
    ['sensor', 1], ['value', 2], ['at', 3], ['labels', 4],
    ['device', 5], ['gateway', 6], ['quality', 7],
  ]);

  const latest = await client().getLatestSchemaMetadata(subject);
  assert.equal(latest.id, id);
  assert.equal(latest.version, 1);
  assert.equal(latest.schema, info.schema);
  const latestSerialized = await client().getLatestSchemaMetadata(subject, 'serialized');
  assert.equal(latestSerialized.schema, serialized.schema);

  // The stored text registers as the same schema.
  assert.equal(await client().register(`${subject}-copy`, { schemaType: 'PROTOBUF', schema: info.schema }), id);
  assert.equal(await client().getVersion(subject, { schemaType: 'PROTOBUF', schema: proto }), 1);
});

test('.proto references by import path, subject with slashes', async () => {
  const t = tag();
  const commonPath = `npm/${t}/common.proto`;
  const common = `syntax = "proto3";\npackage npm.c${t};\nmessage Money { string currency = 1; int64 units = 2; }\n`;
  const sr = client();
  const commonId = await sr.register(commonPath, { schemaType: 'PROTOBUF', schema: common });
  assert.ok((await sr.getAllSubjects()).includes(commonPath));

  const invoice = `syntax = "proto3";
package npm.i${t};
import "${commonPath}";
message Invoice {
  string number = 1;
  npm.c${t}.Money total = 2;
}
`;
  const subject = `npm-invoice-${t}-value`;
  const id = await sr.register(subject, {
    schemaType: 'PROTOBUF',
    schema: invoice,
    references: [{ name: commonPath, subject: commonPath, version: 1 }],
  });
  assert.notEqual(id, commonId);
  const back = await client().getBySubjectAndId(subject, id);
  assert.deepEqual(back.references, [{ name: commonPath, subject: commonPath, version: 1 }]);
  assert.ok(back.schema.includes(`import "${commonPath}";`));
  const serialized = await client().getBySubjectAndId(subject, id, 'serialized');
  assert.deepEqual(decodeDescriptor(serialized.schema).dependency, [commonPath]);

  // Protected while referenced.
  await assert.rejects(() => client().deleteSubject(commonPath), (err) => {
    assert.equal(err.status, 422);
    assert.equal(err.errorCode, 42206);
    return true;
  });

  // Without the reference the import is unresolved: 422 naming the file.
  await assert.rejects(
    () => client().register(`${subject}-noref`, { schemaType: 'PROTOBUF', schema: invoice }),
    (err) => {
      assert.equal(err.status, 422);
      assert.equal(err.errorCode, 42201);
      assert.ok(err.message.includes(commonPath), err.message);
      return true;
    },
  );
});

test('.proto compatibility and syntax errors', async () => {
  const t = tag();
  const subject = `npm-compat-${t}-value`;
  const v1 = `syntax = "proto3";\npackage npm.k${t};\nmessage M {\n  string a = 1;\n  int32 b = 2;\n}\n`;
  await client().register(subject, { schemaType: 'PROTOBUF', schema: v1 });
  const kindChanged = v1.replace('int32 b = 2;', 'Inner b = 2;\n  message Inner { string x = 1; }');
  assert.equal(
    await client().testSubjectCompatibility(subject, { schemaType: 'PROTOBUF', schema: kindChanged }),
    false,
  );
  const added = v1.replace('int32 b = 2;', 'int32 b = 2;\n  string c = 3;');
  assert.equal(
    await client().testSubjectCompatibility(subject, { schemaType: 'PROTOBUF', schema: added }),
    true,
  );
  await assert.rejects(
    () => client().register(subject, { schemaType: 'PROTOBUF', schema: kindChanged }),
    (err) => {
      assert.equal(err.status, 409);
      assert.match(err.message, /FIELD_KIND_CHANGED/);
      return true;
    },
  );

  await assert.rejects(
    () => client().register(`${subject}-bad`, {
      schemaType: 'PROTOBUF',
      schema: 'syntax = "proto3";\nmessage M {\n  string a = 1\n}\n',
    }),
    (err) => {
      assert.equal(err.status, 422);
      assert.equal(err.errorCode, 42201);
      assert.match(err.message, /line 4/);
      return true;
    },
  );
});
