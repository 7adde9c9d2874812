"""End-to-end tests: the real confluent-kafka Python client against a running Schemata.

Every test builds its own clients (the client caches aggressively) and its own
subject/topic names, so the tests are independent of each other and of the
order they run in. Global config and global mode are never changed.

Tests marked ``compat`` need the Avro compatibility engine; they are not
skipped or xfailed anywhere: a server that accepts every schema fails them.
"""

import json
import struct
import uuid

import pytest
from confluent_kafka.schema_registry import Schema, SchemaReference
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.schema_registry_client import (
    ConfigCompatibilityLevel,
    Metadata,
    MetadataProperties,
    ServerConfig,
)
from confluent_kafka.serialization import MessageField, SerializationContext


# --------------------------------------------------------------------------- helpers


def avro_record(name, fields, namespace=None):
    """An Avro record schema as a JSON string; fields are (name, type[, default])."""
    out = {"type": "record", "name": name}
    if namespace:
        out["namespace"] = namespace
    out["fields"] = []
    for f in fields:
        field = {"name": f[0], "type": f[1]}
        if len(f) > 2:
            field["default"] = f[2]
        out["fields"].append(field)
    return json.dumps(out)


def avro(schema_str, references=None):
    return Schema(schema_str, "AVRO", references or [])


def avro_ns():
    """A unique, Avro-legal namespace (letters, digits, underscores, dots)."""
    return "e2e.n" + uuid.uuid4().hex[:12]


def expect_error(fn, http_status, error_code):
    """Run fn, require a SchemaRegistryError with the given status and code."""
    with pytest.raises(SchemaRegistryError) as info:
        fn()
    err = info.value
    assert (err.http_status_code, err.error_code) == (http_status, error_code), (
        f"expected HTTP {http_status} / error_code {error_code}, got {err!r}"
    )
    return err


def wire_id(payload):
    assert payload[0] == 0, f"magic byte must be 0, got {payload[0]}"
    return struct.unpack(">I", payload[1:5])[0]


# --------------------------------------------------------------------------- Avro serde


def test_avro_serializer_auto_registers_and_round_trips(new_client, uid):
    topic = uid
    subject = f"{topic}-value"
    schema_str = avro_record(
        "Payment",
        [
            ("id", "string"),
            ("amount", "double"),
            ("count", "int"),
            ("note", ["null", "string"], None),
            ("tags", {"type": "array", "items": "string"}),
        ],
        namespace=avro_ns(),
    )
    ctx = SerializationContext(topic, MessageField.VALUE)
    value = {"id": "p-1", "amount": 12.5, "count": 3, "note": "hello", "tags": ["a", "b"]}

    # Default subject-name strategy (ASSOCIATED) probes /associations first and
    # must fall back to <topic>-value on the server's 404.
    serializer = AvroSerializer(new_client(), schema_str)
    payload = serializer(value, ctx)
    schema_id = wire_id(payload)

    reader = new_client()
    latest = reader.get_latest_version(subject)
    assert latest.schema_id == schema_id
    assert latest.version == 1
    assert latest.subject == subject
    assert reader.get_subjects_by_schema_id(schema_id) == [subject]

    # A separate client (no shared cache) reads the bytes back.
    deserializer = AvroDeserializer(new_client())
    assert deserializer(payload, ctx) == value

    # Serializing again (same instance, then a brand-new serializer and client)
    # keeps the id and does not add a version.
    again = serializer({**value, "note": None}, ctx)
    assert wire_id(again) == schema_id
    fresh = AvroSerializer(new_client(), schema_str)(value, ctx)
    assert wire_id(fresh) == schema_id
    assert fresh == payload
    assert new_client().get_versions(subject) == [1]
    assert AvroDeserializer(new_client())(again, ctx) == {**value, "note": None}


def test_avro_serializer_key_subject(new_client, uid):
    topic = uid
    ctx = SerializationContext(topic, MessageField.KEY)
    payload = AvroSerializer(new_client(), '"string"')("k-1", ctx)
    key_id = wire_id(payload)
    assert new_client().get_latest_version(f"{topic}-key").schema_id == key_id
    assert AvroDeserializer(new_client())(payload, ctx) == "k-1"


def test_avro_serde_with_reference(new_client, uid):
    """A schema with a reference, serialized and read back through the registry."""
    ns = avro_ns()
    address = avro_record("Address", [("street", "string"), ("zip", "string")], namespace=ns)
    ref_subject = f"{uid}-address"
    ref_id = new_client().register_schema(ref_subject, avro(address))

    customer = avro_record("Customer", [("name", "string"), ("address", f"{ns}.Address")], namespace=ns)
    refs = [SchemaReference(f"{ns}.Address", ref_subject, 1)]
    topic = uid
    ctx = SerializationContext(topic, MessageField.VALUE)
    value = {"name": "Ada", "address": {"street": "Main St 1", "zip": "12345"}}

    payload = AvroSerializer(new_client(), avro(customer, refs))(value, ctx)
    cust_id = wire_id(payload)
    assert cust_id != ref_id

    got = new_client().get_version(f"{topic}-value", 1)
    assert got.schema_id == cust_id
    assert [(r.name, r.subject, r.version) for r in got.schema.references] == [
        (f"{ns}.Address", ref_subject, 1)
    ]
    assert AvroDeserializer(new_client())(payload, ctx) == value


def test_json_schema_serde_round_trip(new_client, uid):
    schema_str = json.dumps(
        {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "title": "Order",
            "type": "object",
            "properties": {"id": {"type": "integer"}, "item": {"type": "string"}},
            "required": ["id"],
        }
    )
    topic = uid
    ctx = SerializationContext(topic, MessageField.VALUE)
    value = {"id": 7, "item": "book"}
    payload = JSONSerializer(schema_str, new_client())(value, ctx)
    schema_id = wire_id(payload)
    latest = new_client().get_latest_version(f"{topic}-value")
    assert latest.schema_id == schema_id
    assert latest.schema.schema_type == "JSON"
    assert JSONDeserializer(None, schema_registry_client=new_client())(payload, ctx) == value


# --------------------------------------------------------------------------- client calls


def test_register_schema_is_idempotent_across_clients_and_subjects(new_client, uid):
    schema_str = avro_record("Item", [("sku", "string"), ("qty", "int")], namespace=avro_ns())
    subj_a, subj_b = f"{uid}-a", f"{uid}-b"

    first = new_client().register_schema(subj_a, avro(schema_str))
    assert isinstance(first, int) and first > 0
    # Fresh clients, so the server (not the client cache) answers each time.
    assert new_client().register_schema(subj_a, avro(schema_str)) == first
    # Same text with different whitespace/key order is the same schema.
    reordered = json.dumps(json.loads(schema_str), indent=4)
    assert new_client().register_schema(subj_a, avro(reordered)) == first
    # Same schema in a second subject: same id, version 1 there.
    assert new_client().register_schema(subj_b, avro(schema_str)) == first

    c = new_client()
    assert c.get_versions(subj_a) == [1]
    assert c.get_versions(subj_b) == [1]
    assert sorted(c.get_subjects_by_schema_id(first)) == sorted([subj_a, subj_b])
    pairs = sorted((v.subject, v.version) for v in c.get_schema_versions(first))
    assert pairs == sorted([(subj_a, 1), (subj_b, 1)])

    full = new_client().register_schema_full_response(subj_a, avro(schema_str))
    assert full.schema_id == first


def test_attribute_order_does_not_change_identity(new_client, uid):
    """Avro canonical form: the order of JSON attributes in the submitted text is irrelevant."""
    ns = avro_ns()
    canonical_order = (
        '{"type":"record","name":"Ord","namespace":"%s","fields":[{"name":"a","type":"int","default":1}]}' % ns
    )
    shuffled = (
        '{"fields":[{"default":1,"type":"int","name":"a"}],"namespace":"%s","name":"Ord","type":"record"}' % ns
    )
    first = new_client().register_schema(uid, avro(canonical_order))
    assert new_client().register_schema(uid, avro(shuffled)) == first
    assert new_client().lookup_schema(uid, avro(shuffled)).version == 1
    assert new_client().get_versions(uid) == [1]
    # A primitive written as an object is the primitive itself.
    prim = new_client().register_schema(f"{uid}-p", avro('{"type": "string"}'))
    assert new_client().register_schema(f"{uid}-p", avro('"string"')) == prim


def test_metadata_is_part_of_identity(new_client, uid):
    subject = uid
    text = avro_record("Meta", [("a", "int")], namespace=avro_ns())

    def with_owner(owner):
        return Schema(text, "AVRO", [], metadata=Metadata(None, MetadataProperties({"owner": owner}), None))

    id_a = new_client().register_schema(subject, with_owner("team-a"))
    id_b = new_client().register_schema(subject, with_owner("team-b"))
    assert id_a != id_b
    assert new_client().get_versions(subject) == [1, 2]

    got = new_client().get_latest_with_metadata(subject, {"owner": "team-a"})
    assert (got.schema_id, got.version) == (id_a, 1)
    v1 = new_client().get_version(subject, 1)
    assert v1.schema.metadata is not None
    assert v1.schema.metadata.properties.properties == {"owner": "team-a"}
    expect_error(lambda: new_client().get_latest_with_metadata(subject, {"owner": "nobody"}), 404, 40403)


def test_lookup_schema(new_client, uid):
    subject = uid
    v1 = avro_record("L", [("a", "int")], namespace=avro_ns())
    sid = new_client().register_schema(subject, avro(v1))
    found = new_client().lookup_schema(subject, avro(v1))
    assert found.schema_id == sid
    assert found.version == 1
    assert found.subject == subject


def test_get_schema_versions_and_subjects(new_client, uid):
    subject = uid
    ns = avro_ns()
    v1 = avro_record("Thing", [("a", "int")], namespace=ns)
    v2 = avro_record("Thing", [("a", "int"), ("b", "string", "x")], namespace=ns)
    id1 = new_client().register_schema(subject, avro(v1))
    id2 = new_client().register_schema(subject, avro(v2))
    assert id1 != id2

    c = new_client()
    s1 = c.get_schema(id1)
    assert s1.schema_type == "AVRO"
    assert json.loads(s1.schema_str) == json.loads(v1)
    assert json.loads(new_client().get_schema(id2, subject_name=subject).schema_str) == json.loads(v2)

    latest = c.get_latest_version(subject)
    assert (latest.schema_id, latest.version, latest.subject) == (id2, 2, subject)
    assert json.loads(latest.schema.schema_str) == json.loads(v2)

    one = c.get_version(subject, 1)
    assert (one.schema_id, one.version, one.subject) == (id1, 1, subject)
    assert new_client().get_version(subject, "latest").version == 2

    assert c.get_versions(subject) == [1, 2]
    subjects = c.get_subjects()
    assert subject in subjects
    assert subjects == sorted(subjects), "GET /subjects must be sorted"
    assert c.get_subjects(subject_prefix=uid) == [subject]
    assert c.get_subjects_by_schema_id(id2) == [subject]
    assert [(v.subject, v.version) for v in c.get_schema_versions(id2)] == [(subject, 2)]
    assert "AVRO" in c.get_schema_types()


def test_subject_compatibility_level(new_client, uid):
    subject = uid
    c = new_client()
    # No subject-level config yet: 404 / 40408 (the subject need not exist).
    expect_error(lambda: c.get_compatibility(subject), 404, 40408)
    res = c.set_compatibility(subject, "full")
    assert res["compatibility"] == "FULL"
    assert new_client().get_compatibility(subject) == "FULL"
    new_client().set_compatibility(subject, "BACKWARD_TRANSITIVE")
    assert new_client().get_compatibility(subject) == "BACKWARD_TRANSITIVE"
    expect_error(lambda: new_client().set_compatibility(subject, "SIDEWAYS"), 422, 42203)
    # The global level is readable (not changed by this test).
    assert new_client().get_compatibility() in {level.value for level in ConfigCompatibilityLevel}


def test_config_get_set_delete(new_client, uid):
    subject = uid
    c = new_client()
    glob = c.get_config()
    assert glob.compatibility_level is not None

    c.set_config(subject, ServerConfig(compatibility=ConfigCompatibilityLevel.FORWARD))
    got = new_client().get_config(subject)
    assert got.compatibility_level == ConfigCompatibilityLevel.FORWARD

    old = new_client().delete_config(subject)
    assert old.compatibility_level == ConfigCompatibilityLevel.FORWARD
    expect_error(lambda: new_client().get_config(subject), 404, 40408)
    # Deleting again: nothing configured for the subject -> 40401.
    expect_error(lambda: new_client().delete_config(subject), 404, 40401)
    # The global config was left alone.
    assert new_client().get_config().compatibility_level == glob.compatibility_level


def test_mode_readonly_blocks_new_schemas(new_client, uid):
    subject = uid
    ns = avro_ns()
    v1 = avro_record("M", [("a", "int")], namespace=ns)
    v2 = avro_record("M", [("a", "int"), ("b", "int", 0)], namespace=ns)
    id1 = new_client().register_schema(subject, avro(v1))

    expect_error(lambda: new_client().get_mode(subject), 404, 40409)
    assert new_client().update_mode(subject, "READONLY") == "READONLY"
    assert new_client().get_mode(subject) == "READONLY"

    # Re-registering an existing schema still answers with its id ...
    assert new_client().register_schema(subject, avro(v1)) == id1
    # ... a new schema is refused, and so are deletes.
    expect_error(lambda: new_client().register_schema(subject, avro(v2)), 422, 42205)
    expect_error(lambda: new_client().delete_version(subject, 1), 422, 42205)
    # Reads still work.
    assert new_client().get_versions(subject) == [1]

    assert new_client().update_mode(subject, "READWRITE") == "READWRITE"
    assert new_client().get_mode(subject) == "READWRITE"
    id2 = new_client().register_schema(subject, avro(v2))
    assert id2 != id1
    assert new_client().get_versions(subject) == [1, 2]

    assert new_client().delete_mode(subject) == "READWRITE"
    expect_error(lambda: new_client().get_mode(subject), 404, 40409)
    expect_error(lambda: new_client().update_mode(subject, "SIDEWAYS"), 422, 42204)


def test_get_contexts(new_client, uid):
    new_client().register_schema(uid, avro('"long"'))
    contexts = new_client().get_contexts()
    assert isinstance(contexts, list)
    assert contexts[0] == "."


def test_referenced_by(new_client, uid):
    ns = avro_ns()
    subj_a, subj_b = f"{uid}-a", f"{uid}-b"
    base = avro_record("Money", [("units", "long"), ("currency", "string")], namespace=ns)
    id_a = new_client().register_schema(subj_a, avro(base))
    assert new_client().get_referenced_by(subj_a, 1) == []

    ref = SchemaReference(f"{ns}.Money", subj_a, 1)
    invoice = avro_record("Invoice", [("number", "string"), ("total", f"{ns}.Money")], namespace=ns)
    id_b = new_client().register_schema(subj_b, avro(invoice, [ref]))
    assert id_b != id_a

    assert new_client().get_referenced_by(subj_a, 1) == [id_b]
    assert new_client().get_referenced_by(subj_a, "latest") == [id_b]
    fetched = new_client().get_schema(id_b)
    assert [(r.name, r.subject, r.version) for r in fetched.references] == [(f"{ns}.Money", subj_a, 1)]

    # The referenced version is protected while the referrer is live.
    expect_error(lambda: new_client().delete_version(subj_a, 1), 422, 42206)
    expect_error(lambda: new_client().delete_subject(subj_a), 422, 42206)

    # A reference to a missing version is an invalid schema.
    bad_ref = SchemaReference(f"{ns}.Money", subj_a, 9)
    expect_error(
        lambda: new_client().register_schema(f"{uid}-c", avro(invoice, [bad_ref])), 422, 42201
    )


# --------------------------------------------------------------------------- compatibility


@pytest.mark.compat
def test_backward_compatibility(new_client, uid):
    subject = uid
    ns = avro_ns()
    v1 = avro_record("Rec", [("a", "int")], namespace=ns)
    v2 = avro_record("Rec", [("a", "int"), ("b", "string", "none")], namespace=ns)  # default
    v3 = avro_record("Rec", [("a", "int"), ("c", "string")], namespace=ns)  # no default

    new_client().set_compatibility(subject, "BACKWARD")
    id1 = new_client().register_schema(subject, avro(v1))

    assert new_client().test_compatibility(subject, avro(v2)) is True
    assert new_client().test_compatibility(subject, avro(v2), version=1) is True
    assert new_client().test_compatibility_all_versions(subject, avro(v2)) is True
    assert new_client().test_compatibility(subject, avro(v3)) is False
    assert new_client().test_compatibility_all_versions(subject, avro(v3)) is False

    err = expect_error(lambda: new_client().register_schema(subject, avro(v3)), 409, 409)
    assert err.http_status_code == 409
    assert new_client().get_versions(subject) == [1]

    new_client().set_compatibility(subject, "NONE")
    assert new_client().test_compatibility(subject, avro(v3)) is True
    id3 = new_client().register_schema(subject, avro(v3))
    assert id3 != id1
    assert new_client().get_versions(subject) == [1, 2]


@pytest.mark.compat
def test_forward_compatibility(new_client, uid):
    subject = uid
    ns = avro_ns()
    v1 = avro_record("Fwd", [("a", "int"), ("b", "string")], namespace=ns)
    # Under FORWARD the OLD schema (v1) must read data written with the NEW one.
    drops_b = avro_record("Fwd", [("a", "int")], namespace=ns)  # v1 needs b, has no default
    adds_c = avro_record("Fwd", [("a", "int"), ("b", "string"), ("c", "long")], namespace=ns)
    narrows_a = avro_record("Fwd", [("a", "long"), ("b", "string")], namespace=ns)  # long can't be read as int

    new_client().set_compatibility(subject, "FORWARD")
    new_client().register_schema(subject, avro(v1))

    assert new_client().test_compatibility(subject, avro(adds_c)) is True
    assert new_client().test_compatibility(subject, avro(drops_b)) is False
    assert new_client().test_compatibility(subject, avro(narrows_a)) is False
    expect_error(lambda: new_client().register_schema(subject, avro(drops_b)), 409, 409)
    assert new_client().register_schema(subject, avro(adds_c)) > 0
    assert new_client().get_versions(subject) == [1, 2]


@pytest.mark.compat
def test_transitive_checks_all_versions(new_client, uid):
    subject = uid
    ns = avro_ns()
    v1 = avro_record("T", [("a", "int")], namespace=ns)
    v2 = avro_record("T", [("a", "int"), ("b", "string", "x")], namespace=ns)
    # Reads v2 data fine (b present) but not v1 data (b missing, no default).
    v3 = avro_record("T", [("a", "int"), ("b", "string")], namespace=ns)

    new_client().set_compatibility(subject, "BACKWARD")
    new_client().register_schema(subject, avro(v1))
    new_client().register_schema(subject, avro(v2))
    assert new_client().test_compatibility(subject, avro(v3)) is True
    assert new_client().test_compatibility(subject, avro(v3), version=1) is False
    assert new_client().test_compatibility_all_versions(subject, avro(v3)) is True

    new_client().set_compatibility(subject, "BACKWARD_TRANSITIVE")
    # One named version only, even for a transitive level.
    assert new_client().test_compatibility(subject, avro(v3)) is True
    assert new_client().test_compatibility_all_versions(subject, avro(v3)) is False
    expect_error(lambda: new_client().register_schema(subject, avro(v3)), 409, 409)


@pytest.mark.compat
def test_full_compatibility_rejects_type_change(new_client, uid):
    subject = uid
    ns = avro_ns()
    v1 = avro_record("F", [("a", "int")], namespace=ns)
    ok = avro_record("F", [("a", "int"), ("b", "int", 1)], namespace=ns)
    bad = avro_record("F", [("a", "string")], namespace=ns)
    new_client().set_compatibility(subject, "FULL")
    new_client().register_schema(subject, avro(v1))
    assert new_client().test_compatibility(subject, avro(ok)) is True
    assert new_client().test_compatibility(subject, avro(bad)) is False
    expect_error(lambda: new_client().register_schema(subject, avro(bad)), 409, 409)


# --------------------------------------------------------------------------- deletes


def test_delete_version_soft_then_hard(new_client, uid):
    subject = uid
    ns = avro_ns()
    v1 = avro_record("D", [("a", "int")], namespace=ns)
    v2 = avro_record("D", [("a", "int"), ("b", "int", 0)], namespace=ns)
    new_client().register_schema(subject, avro(v1))
    id2 = new_client().register_schema(subject, avro(v2))

    expect_error(lambda: new_client().delete_version(subject, 2, permanent=True), 404, 40407)
    assert new_client().delete_version(subject, 2) == 2
    assert new_client().get_versions(subject) == [1]
    assert new_client().get_versions(subject, deleted=True) == [1, 2]
    assert new_client().get_latest_version(subject).version == 1
    expect_error(lambda: new_client().get_version(subject, 2), 404, 40402)
    assert new_client().get_version(subject, 2, deleted=True).schema_id == id2
    # The id stays resolvable after a soft delete.
    assert json.loads(new_client().get_schema(id2).schema_str) == json.loads(v2)
    expect_error(lambda: new_client().delete_version(subject, 2), 404, 40406)

    assert new_client().delete_version(subject, 2, permanent=True) == 2
    assert new_client().get_versions(subject, deleted=True) == [1]
    expect_error(lambda: new_client().get_version(subject, 2, deleted=True), 404, 40402)
    expect_error(lambda: new_client().delete_version(subject, 2), 404, 40402)


def test_delete_subject_soft_then_permanent(new_client, uid):
    subject = uid
    ns = avro_ns()
    v1 = avro_record("S", [("a", "int")], namespace=ns)
    v2 = avro_record("S", [("a", "int"), ("b", "int", 0)], namespace=ns)
    new_client().register_schema(subject, avro(v1))
    new_client().register_schema(subject, avro(v2))

    # Permanent without a soft delete first.
    expect_error(lambda: new_client().delete_subject(subject, permanent=True), 404, 40405)

    assert new_client().delete_subject(subject) == [1, 2]
    assert subject not in new_client().get_subjects()
    assert subject in new_client().get_subjects(deleted=True)
    expect_error(lambda: new_client().get_versions(subject), 404, 40401)
    assert new_client().get_versions(subject, deleted=True) == [1, 2]
    expect_error(lambda: new_client().delete_subject(subject), 404, 40404)

    assert new_client().delete_subject(subject, permanent=True) == [1, 2]
    assert subject not in new_client().get_subjects(deleted=True)
    expect_error(lambda: new_client().get_versions(subject, deleted=True), 404, 40401)
    expect_error(lambda: new_client().delete_subject(subject), 404, 40401)


def test_reregister_after_soft_delete_gets_new_version(new_client, uid):
    subject = uid
    schema = avro_record("R", [("a", "int")], namespace=avro_ns())
    sid = new_client().register_schema(subject, avro(schema))
    new_client().delete_subject(subject)
    assert new_client().register_schema(subject, avro(schema)) == sid
    assert new_client().get_versions(subject) == [2]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param('{"type":"record","name":"Bad","fields":[{"name":"a","type":"no_such_type"}]}', id="unknown-type"),
        pytest.param('{"type":"record","name":"Bad","fields":[', id="malformed-json"),
        pytest.param('{"type":"record","fields":[{"name":"a","type":"int"}]}', id="record-without-name"),
        pytest.param('{"type":"record","name":"Bad","fields":[{"name":"a","type":"int","default":"x"}]}', id="bad-default"),
    ],
)
def test_invalid_avro_schema_is_422_42201(new_client, uid, bad):
    err = expect_error(lambda: new_client().register_schema(uid, avro(bad)), 422, 42201)
    assert err.error_message
    expect_error(lambda: new_client().get_versions(uid), 404, 40401)


def test_unknown_schema_id_is_40403(new_client):
    expect_error(lambda: new_client().get_schema(2_000_000_000), 404, 40403)
    expect_error(lambda: new_client().get_subjects_by_schema_id(2_000_000_000), 404, 40403)
    expect_error(lambda: new_client().get_schema_versions(2_000_000_000), 404, 40403)


def test_unknown_subject_is_40401(new_client, uid):
    subject = f"{uid}-missing"
    expect_error(lambda: new_client().get_versions(subject), 404, 40401)
    expect_error(lambda: new_client().get_latest_version(subject), 404, 40401)
    expect_error(lambda: new_client().get_version(subject, 1), 404, 40401)
    expect_error(lambda: new_client().delete_subject(subject), 404, 40401)
    expect_error(lambda: new_client().lookup_schema(subject, avro('"int"')), 404, 40401)


def test_missing_version_and_unregistered_schema(new_client, uid):
    subject = uid
    new_client().register_schema(subject, avro('"int"'))
    expect_error(lambda: new_client().get_version(subject, 5), 404, 40402)
    expect_error(lambda: new_client().lookup_schema(subject, avro('"string"')), 404, 40403)
    expect_error(lambda: new_client().test_compatibility(subject, avro('"int"'), version=5), 404, 40402)
