"""End-to-end: real clients after `schemata import --from URL` (docs/migration.md §1.1).

Producers write against the source registry (the server run.sh started, on SQLite or
PostgreSQL) with confluent-kafka's Avro, JSON Schema and Protobuf serializers; the `schemata`
binary imports the test's subjects into a fresh SQLite database; a Schemata started on that
database alone then serves the consumers and producers: every message decodes with the
deserializers (the same ids resolve to the same schemas), and serializers that may not
register (`auto.register.schemas=False, use.latest.version=True`) find the same latest
versions and write the same bytes as against the source. The source's ids are made
non-trivial first (schemas registered to other subjects, some permanently deleted), so the
target cannot hold the same ids by numbering 1..n.
"""

import json
import subprocess
import uuid

from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from support import schemata_bin, start_schemata
from test_protobuf_json import ProtoFiles

NO_REGISTER = {"auto.register.schemas": False, "use.latest.version": True}


def wire_id(payload):
    assert payload[0] == 0, "magic byte"
    return int.from_bytes(payload[1:5], "big")


def record(name, ns, fields):
    return json.dumps({"type": "record", "name": name, "namespace": ns, "fields": fields})


class Clients:
    """Fresh clients for one registry (the client caches ids and versions for its life)."""

    def __init__(self, url):
        self.url = url
        self.made = []

    def __call__(self):
        client = SchemaRegistryClient({"url": self.url})
        self.made.append(client)
        return client

    def close(self):
        for client in self.made:
            client.close()


def make_ids_non_trivial(client, uid):
    """Schemas under other subjects, some soft- and some permanently deleted: the ids the
    test's schemas get are neither 1..n nor contiguous."""
    ns = f"e2e.noise.n{uuid.uuid4().hex[:8]}"
    for i in range(4):
        client.register_schema(
            f"{uid}-noise-{i}", Schema(record(f"Noise{i}", ns, [{"name": "n", "type": "int"}]), "AVRO")
        )
    # Gone for good: two whole subjects. Soft-deleted (imported as deleted): one version.
    for i in (0, 2):
        client.delete_subject(f"{uid}-noise-{i}")
        client.delete_subject(f"{uid}-noise-{i}", permanent=True)
    client.delete_version(f"{uid}-noise-3", 1)


def test_clients_read_and_write_through_an_imported_registry(url, uid, tmp_path):
    source = Clients(url)
    try:
        run_the_migration(source, url, uid, tmp_path)
    finally:
        source.close()


def run_the_migration(source, url, uid, tmp_path):
    make_ids_non_trivial(source(), uid)
    ns = f"e2e.imp.n{uuid.uuid4().hex[:8]}"

    # ---- producers against the source
    messages = []  # (payload, context, how to decode, expected value)

    # Avro, two versions of one subject, and a reference to another subject.
    address = record("Address", ns, [{"name": "street", "type": "string"}])
    address_id = source().register_schema(f"{uid}-address", Schema(address, "AVRO"))
    refs = [SchemaReference(f"{ns}.Address", f"{uid}-address", 1)]
    v1 = record("Customer", ns, [
        {"name": "name", "type": "string"},
        {"name": "address", "type": f"{ns}.Address"},
    ])
    v2 = record("Customer", ns, [
        {"name": "name", "type": "string"},
        {"name": "address", "type": f"{ns}.Address"},
        {"name": "vip", "type": "boolean", "default": False},
    ])
    avro_ctx = SerializationContext(f"{uid}-customers", MessageField.VALUE)
    value1 = {"name": "Ada", "address": {"street": "Main St 1"}}
    payload1 = AvroSerializer(source(), Schema(v1, "AVRO", refs))(value1, avro_ctx)
    # Between the two versions, more noise: v2 gets an id well above v1's.
    make_ids_non_trivial(source(), f"{uid}-later")
    value2 = {"name": "Grace", "address": {"street": "Elm St 2"}, "vip": True}
    payload2 = AvroSerializer(source(), Schema(v2, "AVRO", refs))(value2, avro_ctx)
    assert wire_id(payload2) > wire_id(payload1) > address_id
    messages.append((payload1, avro_ctx, "avro", value1))
    messages.append((payload2, avro_ctx, "avro", value2))

    # JSON Schema.
    json_schema = json.dumps({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Order", "type": "object",
        "properties": {"id": {"type": "integer"}, "item": {"type": "string"}},
        "required": ["id"],
    })
    json_ctx = SerializationContext(f"{uid}-orders", MessageField.VALUE)
    json_value = {"id": 7, "item": "book"}
    messages.append((JSONSerializer(json_schema, source())(json_value, json_ctx), json_ctx, "json", json_value))

    # Protobuf, with its dependency under its own subject (the file's path, which the
    # --subjects pattern below does not match: the import follows the reference to it).
    files = ProtoFiles()
    proto_ctx = SerializationContext(f"{uid}-proto", MessageField.VALUE)
    order = files.sample_order()
    proto_payload = ProtobufSerializer(files.Order, source(), {})(order, proto_ctx)
    messages.append((proto_payload, proto_ctx, "protobuf", order))

    ids = sorted({wire_id(p) for p, _, _, _ in messages})
    assert ids != list(range(1, len(ids) + 1))

    # What producers that may not register write against the source, to compare with.
    latest_avro = AvroSerializer(source(), None, conf=NO_REGISTER)(value2, avro_ctx)
    latest_json = JSONSerializer(json_schema, source(), conf=NO_REGISTER)(json_value, json_ctx)
    latest_proto = ProtobufSerializer(files.Order, source(), conf=NO_REGISTER)(order, proto_ctx)
    assert wire_id(latest_avro) == wire_id(payload2)

    reader = source()
    subjects = sorted(s for s in reader.get_subjects(deleted=True) if s.startswith(uid))
    subjects = sorted(subjects + [files.common_name])
    versions = {s: reader.get_versions(s, deleted=True) for s in subjects}
    live = sorted(s for s in reader.get_subjects() if s in subjects)
    assert f"{uid}-noise-3" in subjects and f"{uid}-noise-3" not in live

    # ---- the import, into a fresh database
    database = f"sqlite://{tmp_path / 'target.db'}"
    done = subprocess.run(
        [schemata_bin(), "import", "--from", url, "--subjects", f"{uid}*",
         "--database-url", database],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, f"import failed:\n{done.stdout}\n{done.stderr}"
    assert "verified:" in done.stdout, done.stdout

    # ---- the target alone
    proc, target_url = start_schemata(tmp_path, "target", [])
    target = Clients(target_url)
    try:
        check_target(target, reader, subjects, versions, live, files, messages, ids, {
            "avro": (lambda c: AvroSerializer(c, None, conf=NO_REGISTER), value2, avro_ctx, latest_avro),
            "json": (lambda c: JSONSerializer(json_schema, c, conf=NO_REGISTER), json_value, json_ctx, latest_json),
            "protobuf": (lambda c: ProtobufSerializer(files.Order, c, conf=NO_REGISTER), order, proto_ctx, latest_proto),
        })
    finally:
        target.close()
        proc.terminate()
        proc.wait(timeout=30)


def check_target(target, source_reader, subjects, versions, live, files, messages, ids, producers):
    # The same subjects (the test's and the one they reference) with the same versions,
    # soft-deleted ones too, and nothing else.
    assert sorted(target().get_subjects(deleted=True)) == subjects
    for subject in subjects:
        assert target().get_versions(subject, deleted=True) == versions[subject], subject
    assert sorted(target().get_subjects()) == live

    # Every id in the messages resolves to the same schema text.
    for schema_id in ids:
        assert target().get_schema(schema_id).schema_str == source_reader.get_schema(schema_id).schema_str

    # Consumers: every message decodes, through a fresh client each.
    for payload, ctx, kind, value in messages:
        if kind == "avro":
            back = AvroDeserializer(target())(payload, ctx)
        elif kind == "json":
            back = JSONDeserializer(None, schema_registry_client=target())(payload, ctx)
        else:
            back = ProtobufDeserializer(files.Order, {}, target())(payload, ctx)
        assert back == value, kind

    # Producers that may not register find the same latest version: the same bytes.
    for kind, (make, value, ctx, expected) in producers.items():
        payload = make(target())(value, ctx)
        assert wire_id(payload) == wire_id(expected), kind
        assert payload == expected, kind
