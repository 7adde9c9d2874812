// @kafkajs/confluent-schema-registry 4.1.0 against Schemata: JSON Schema register, encode,
// decode, validation on encode, and a reference to another subject.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { SchemaRegistry, SchemaType } = require('@kafkajs/confluent-schema-registry');

const host = process.env.SCHEMATA_URL;
if (!host) throw new Error('SCHEMATA_URL is not set; run tests/e2e/run.sh');

const unique = (what) => `npm-kafkajs-${what}-${crypto.randomUUID().slice(0, 10)}`;

async function rawGet(path) {
  const res = await fetch(`${host}${path}`);
  return { status: res.status, body: await res.json() };
}

test('JSON schema: register, encode, decode with a fresh client', async () => {
  const subject = unique('person');
  const schema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Person',
    type: 'object',
    properties: {
      name: { type: 'string' },
      age: { type: 'integer', minimum: 0 },
      emails: { type: 'array', items: { type: 'string' } },
    },
    required: ['name'],
  };
  const registry = new SchemaRegistry({ host });
  const { id } = await registry.register(
    { type: SchemaType.JSON, schema: JSON.stringify(schema) },
    { subject },
  );
  assert.ok(Number.isInteger(id) && id > 0);

  // register() set the subject's compatibility (GET /config/{s} answered 404 first).
  const config = await rawGet(`/config/${encodeURIComponent(subject)}`);
  assert.equal(config.status, 200);
  assert.equal(config.body.compatibilityLevel, 'BACKWARD');

  // Registering again is idempotent; lookups agree.
  const again = await new SchemaRegistry({ host }).register(
    { type: SchemaType.JSON, schema: JSON.stringify(schema) },
    { subject },
  );
  assert.equal(again.id, id);
  assert.equal(await registry.getLatestSchemaId(subject), id);
  assert.equal(await registry.getRegistryId(subject, 1), id);
  assert.equal(
    await registry.getRegistryIdBySchema(subject, {
      type: SchemaType.JSON,
      schema: JSON.stringify(schema),
    }),
    id,
  );

  const value = { name: 'Ada', age: 36, emails: ['ada@example.com'] };
  const encoded = await registry.encode(id, value);
  assert.equal(encoded[0], 0);
  assert.equal(encoded.readInt32BE(1), id);
  assert.deepEqual(JSON.parse(encoded.subarray(5).toString()), value);

  // A fresh client decodes by fetching the schema by id.
  const reader = new SchemaRegistry({ host });
  assert.deepEqual(await reader.decode(encoded), value);
  const fetched = await reader.getSchema(id);
  assert.ok(fetched, 'getSchema returns the JSON schema');

  // The client validates against the registered schema.
  await assert.rejects(() => registry.encode(id, { age: -1 }));
});

test('JSON schema: incompatible change is refused by the registry', async () => {
  const subject = unique('closed');
  const registry = new SchemaRegistry({ host });
  const v1 = {
    type: 'object',
    properties: { a: { type: 'string' }, b: { type: 'number' } },
    additionalProperties: false,
  };
  await registry.register({ type: SchemaType.JSON, schema: JSON.stringify(v1) }, { subject });
  const v2 = { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false };
  await assert.rejects(
    () => registry.register({ type: SchemaType.JSON, schema: JSON.stringify(v2) }, { subject }),
    (err) => {
      assert.match(String(err.message), /PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL/);
      return true;
    },
  );
});

test('JSON schema: reference to another subject', async () => {
  const base = unique('ref');
  const registry = new SchemaRegistry({ host });
  const address = {
    $id: 'https://acme.example/npm/address.json',
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
  };
  const addr = await registry.register(
    { type: SchemaType.JSON, schema: JSON.stringify(address) },
    { subject: `${base}-address` },
  );
  const customer = {
    type: 'object',
    properties: {
      name: { type: 'string' },
      home: { $ref: 'https://acme.example/npm/address.json' },
    },
    required: ['name', 'home'],
  };
  const { id } = await registry.register(
    {
      type: SchemaType.JSON,
      schema: JSON.stringify(customer),
      references: [
        { name: 'https://acme.example/npm/address.json', subject: `${base}-address`, version: 1 },
      ],
    },
    { subject: `${base}-customer` },
  );
  assert.notEqual(id, addr.id);
  const refby = await rawGet(`/subjects/${base}-address/versions/1/referencedby`);
  assert.deepEqual(refby.body, [id]);

  const reader = new SchemaRegistry({ host });
  const value = { name: 'Grace', home: { city: 'Arlington' } };
  const encoded = await reader.encode(id, value);
  assert.deepEqual(await new SchemaRegistry({ host }).decode(encoded), value);
  await assert.rejects(() => reader.encode(id, { name: 'X', home: {} }));
});
