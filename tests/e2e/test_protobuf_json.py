"""End-to-end: Protobuf and JSON Schema serdes of confluent-kafka against Schemata.

The Protobuf message classes are built at test time from hand-made FileDescriptorProtos
(no protoc, no network): an order file that imports a local "common" file and the
well-known google/protobuf/timestamp.proto. The serializer registers the schema as base64
descriptors (the dependency under its own subject, named by its file path); the
deserializer reads the writer schema back with ``format=serialized``.
"""

import base64
import json
import uuid

import pytest
from confluent_kafka.schema_registry import Schema, SchemaReference
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError
from google.protobuf import descriptor_pb2, descriptor_pool, timestamp_pb2
from google.protobuf.message_factory import GetMessageClass

FDP = descriptor_pb2.FieldDescriptorProto


def wire_id(payload):
    assert payload[0] == 0, "magic byte"
    return int.from_bytes(payload[1:5], "big")


# --------------------------------------------------------------------------- Protobuf model


class ProtoFiles:
    """Two .proto files, unique to one test: common/money.proto and order.proto."""

    def __init__(self):
        tag = uuid.uuid4().hex[:10]
        self.pkg = f"e2e.p{tag}"
        self.common_name = f"e2e/{tag}/common/money.proto"
        self.order_name = f"e2e/{tag}/order.proto"

        common = descriptor_pb2.FileDescriptorProto(
            name=self.common_name, package=f"{self.pkg}.common", syntax="proto3"
        )
        money = common.message_type.add(name="Money")
        money.field.add(name="currency", number=1, type=FDP.TYPE_STRING, label=FDP.LABEL_OPTIONAL)
        money.field.add(name="units", number=2, type=FDP.TYPE_INT64, label=FDP.LABEL_OPTIONAL)
        money.field.add(name="nanos", number=3, type=FDP.TYPE_INT32, label=FDP.LABEL_OPTIONAL)

        order = descriptor_pb2.FileDescriptorProto(
            name=self.order_name,
            package=self.pkg,
            syntax="proto3",
            dependency=[self.common_name, "google/protobuf/timestamp.proto"],
        )
        msg = order.message_type.add(name="Order")
        msg.field.add(name="id", number=1, type=FDP.TYPE_STRING, label=FDP.LABEL_OPTIONAL)
        msg.field.add(
            name="total", number=2, type=FDP.TYPE_MESSAGE, label=FDP.LABEL_OPTIONAL,
            type_name=f".{self.pkg}.common.Money",
        )
        msg.field.add(
            name="placed_at", number=3, type=FDP.TYPE_MESSAGE, label=FDP.LABEL_OPTIONAL,
            type_name=".google.protobuf.Timestamp",
        )
        msg.field.add(
            name="lines", number=4, type=FDP.TYPE_MESSAGE, label=FDP.LABEL_REPEATED,
            type_name=f".{self.pkg}.Order.Line",
        )
        msg.field.add(
            name="status", number=5, type=FDP.TYPE_ENUM, label=FDP.LABEL_OPTIONAL,
            type_name=f".{self.pkg}.Order.Status",
        )
        msg.field.add(
            name="labels", number=6, type=FDP.TYPE_MESSAGE, label=FDP.LABEL_REPEATED,
            type_name=f".{self.pkg}.Order.LabelsEntry",
        )
        msg.oneof_decl.add(name="contact")
        msg.field.add(name="email", number=7, type=FDP.TYPE_STRING, label=FDP.LABEL_OPTIONAL, oneof_index=0)
        msg.field.add(name="phone", number=8, type=FDP.TYPE_STRING, label=FDP.LABEL_OPTIONAL, oneof_index=0)
        line = msg.nested_type.add(name="Line")
        line.field.add(name="sku", number=1, type=FDP.TYPE_STRING, label=FDP.LABEL_OPTIONAL)
        line.field.add(name="count", number=2, type=FDP.TYPE_UINT32, label=FDP.LABEL_OPTIONAL)
        entry = msg.nested_type.add(name="LabelsEntry")
        entry.options.map_entry = True
        entry.field.add(name="key", number=1, type=FDP.TYPE_STRING, label=FDP.LABEL_OPTIONAL)
        entry.field.add(name="value", number=2, type=FDP.TYPE_STRING, label=FDP.LABEL_OPTIONAL)
        status = msg.enum_type.add(name="Status")
        status.value.add(name="STATUS_UNKNOWN", number=0)
        status.value.add(name="STATUS_PAID", number=1)
        # A second top-level message: payloads of it carry message index [1].
        shipment = order.message_type.add(name="Shipment")
        shipment.field.add(name="order_id", number=1, type=FDP.TYPE_STRING, label=FDP.LABEL_OPTIONAL)
        shipment.field.add(
            name="cost", number=2, type=FDP.TYPE_MESSAGE, label=FDP.LABEL_OPTIONAL,
            type_name=f".{self.pkg}.common.Money",
        )

        self.common_proto, self.order_proto = common, order
        pool = descriptor_pool.DescriptorPool()
        pool.Add(descriptor_pb2.FileDescriptorProto.FromString(timestamp_pb2.DESCRIPTOR.serialized_pb))
        pool.Add(common)
        pool.Add(order)
        self.Order = GetMessageClass(pool.FindMessageTypeByName(f"{self.pkg}.Order"))
        self.Shipment = GetMessageClass(pool.FindMessageTypeByName(f"{self.pkg}.Shipment"))

    def sample_order(self):
        o = self.Order(id="o-1", status=1, email="a@example.com")
        o.total.currency = "EUR"
        o.total.units = 12
        o.total.nanos = 500_000_000
        o.placed_at.seconds = 1_700_000_000
        o.placed_at.nanos = 123
        o.lines.add(sku="book", count=2)
        o.lines.add(sku="pen", count=10)
        o.labels["channel"] = "web"
        o.labels["gift"] = "yes"
        return o


def decode_descriptor(b64):
    return descriptor_pb2.FileDescriptorProto.FromString(base64.standard_b64decode(b64))


def shape(fdp):
    """What a descriptor says, without the file name and json names.

    Nested types are compared as a set: the server renders fields before nested
    declarations, so a map-entry type moves ahead of nested messages declared earlier.
    """
    def msg_shape(m):
        return (
            m.name,
            [(f.name, f.number, f.label, f.type, f.type_name, f.HasField("oneof_index")) for f in m.field],
            sorted(msg_shape(n) for n in m.nested_type),
            [(e.name, [(v.name, v.number) for v in e.value]) for e in m.enum_type],
            [o.name for o in m.oneof_decl],
        )
    return (fdp.package, fdp.syntax, list(fdp.dependency), [msg_shape(m) for m in fdp.message_type])


@pytest.fixture
def files():
    return ProtoFiles()


# --------------------------------------------------------------------------- Protobuf tests


def test_protobuf_serializer_registers_dependency_and_round_trips(new_client, uid, files):
    ctx = SerializationContext(uid, MessageField.VALUE)
    order = files.sample_order()

    payload = ProtobufSerializer(files.Order, new_client())(order, ctx)
    schema_id = wire_id(payload)
    assert payload[5] == 0, "message index [0] written as a single 0x00"

    reader = new_client()
    # The dependency was registered under its own subject (its file path); the
    # well-known import was not.
    subjects = reader.get_subjects()
    assert files.common_name in subjects
    assert not any(s.startswith("google/") for s in subjects)

    latest = reader.get_latest_version(f"{uid}-value")
    assert latest.schema_id == schema_id
    assert latest.schema.schema_type == "PROTOBUF"
    text = latest.schema.schema_str
    assert text.startswith("syntax = \"proto3\";"), "stored and returned as .proto text"
    assert f'import "{files.common_name}";' in text
    assert 'import "google/protobuf/timestamp.proto";' in text
    refs = [(r.name, r.subject, r.version) for r in latest.schema.references]
    assert refs == [(files.common_name, files.common_name, 1)]

    dep = reader.get_version(files.common_name, 1)
    assert dep.schema.schema_type == "PROTOBUF"
    assert "message Money" in dep.schema.schema_str
    assert reader.get_referenced_by(files.common_name, 1) == [schema_id]

    # format=serialized: the same descriptor the client sent, modulo the file name.
    serialized = reader.get_schema(schema_id, subject_name=f"{uid}-value", fmt="serialized")
    assert shape(decode_descriptor(serialized.schema_str)) == shape(files.order_proto)
    # A fresh client: the client caches versions whatever the format asked for.
    dep_serialized = new_client().get_version(files.common_name, 1, fmt="serialized")
    assert shape(decode_descriptor(dep_serialized.schema.schema_str)) == shape(files.common_proto)

    # The deserializer (fresh client) fetches the writer schema and its reference with
    # format=serialized, builds a pool from them and parses the payload.
    back = ProtobufDeserializer(files.Order, {}, new_client())(payload, ctx)
    assert back == order
    assert back.total.units == 12 and back.placed_at.nanos == 123
    assert dict(back.labels) == {"channel": "web", "gift": "yes"}
    assert back.WhichOneof("contact") == "email"


def test_protobuf_second_message_uses_index_and_reuses_ids(new_client, uid, files):
    ctx = SerializationContext(uid, MessageField.VALUE)
    shipment = files.Shipment(order_id="o-9")
    shipment.cost.currency = "USD"
    shipment.cost.units = 3

    payload = ProtobufSerializer(files.Shipment, new_client())(shipment, ctx)
    # Message index array [1]: length 1, then 1, both zig-zag varints.
    assert payload[5:7] == bytes([2, 2])
    back = ProtobufDeserializer(files.Shipment, {}, new_client())(payload, ctx)
    assert back == shipment

    # A fresh serializer for the other message of the same file registers the same
    # schema: same id, one version, and the dependency has one version too.
    other = ProtobufSerializer(files.Order, new_client())(files.sample_order(), ctx)
    assert wire_id(other) == wire_id(payload)
    reader = new_client()
    assert reader.get_versions(f"{uid}-value") == [1]
    assert reader.get_versions(files.common_name) == [1]

    # The same file registered from its stored text (by another client) is the same id.
    text = reader.get_schema(wire_id(payload)).schema_str
    refs = [SchemaReference(files.common_name, files.common_name, 1)]
    again = new_client().register_schema(f"{uid}-text", Schema(text, "PROTOBUF", refs))
    assert again == wire_id(payload)


def test_protobuf_transitive_dependencies_and_normalize(new_client, uid, files):
    """batch.proto imports order.proto, which imports common/money.proto and timestamp.proto."""
    batch_name = f"{files.order_name[:-len('order.proto')]}batch.proto"
    batch = descriptor_pb2.FileDescriptorProto(
        name=batch_name, package=f"{files.pkg}.batch", syntax="proto3", dependency=[files.order_name]
    )
    msg = batch.message_type.add(name="Batch")
    msg.field.add(
        name="orders", number=1, type=FDP.TYPE_MESSAGE, label=FDP.LABEL_REPEATED,
        type_name=f".{files.pkg}.Order",
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(descriptor_pb2.FileDescriptorProto.FromString(timestamp_pb2.DESCRIPTOR.serialized_pb))
    for fdp in (files.common_proto, files.order_proto, batch):
        pool.Add(fdp)
    Batch = GetMessageClass(pool.FindMessageTypeByName(f"{files.pkg}.batch.Batch"))
    Order = GetMessageClass(pool.FindMessageTypeByName(f"{files.pkg}.Order"))
    value = Batch()
    value.orders.add().CopyFrom(Order.FromString(files.sample_order().SerializeToString()))
    value.orders.add(id="o-2", phone="555")

    ids = []
    for normalize in (False, True, True):
        ctx = SerializationContext(f"{uid}-{normalize}", MessageField.VALUE)
        conf = {"normalize.schemas": normalize}
        payload = ProtobufSerializer(Batch, new_client(), conf)(value, ctx)
        ids.append(wire_id(payload))
        assert ProtobufDeserializer(Batch, {}, new_client())(payload, ctx) == value
    # Normalised registration is stable (the same id every time). It may differ from the
    # plain one: normalisation prints nested messages after the fields, so a file whose
    # nested message precedes a map field normalises to different text.
    assert ids[1] == ids[2], "normalize gives a stable identity"

    reader = new_client()
    order_versions = reader.get_versions(files.order_name)
    assert order_versions in ([1], [1, 2])
    order_refs = reader.get_version(files.order_name, 1).schema.references
    assert [(r.name, r.subject) for r in order_refs] == [(files.common_name, files.common_name)]
    top_refs = reader.get_latest_version(f"{uid}-False-value").schema.references
    assert [(r.name, r.subject, r.version) for r in top_refs] == [(files.order_name, files.order_name, 1)]


def test_protobuf_incompatible_change_is_rejected(new_client, uid, files):
    ctx = SerializationContext(uid, MessageField.VALUE)
    ProtobufSerializer(files.Order, new_client())(files.sample_order(), ctx)
    subject = f"{uid}-value"
    client = new_client()
    latest = client.get_latest_version(subject)

    # total: message → scalar is a kind change in Confluent's terms.
    changed = latest.schema.schema_str.replace(f".{files.pkg}.common.Money total = 2;", "string total = 2;")
    assert changed != latest.schema.schema_str
    candidate = Schema(changed, "PROTOBUF", latest.schema.references)
    assert client.test_compatibility(subject, candidate) is False
    with pytest.raises(SchemaRegistryError) as info:
        client.register_schema(subject, candidate)
    assert info.value.http_status_code == 409
    assert "FIELD_KIND_CHANGED" in info.value.error_message

    # The dependency is protected while the order schema uses it.
    with pytest.raises(SchemaRegistryError) as info:
        client.delete_subject(files.common_name)
    assert (info.value.http_status_code, info.value.error_code) == (422, 42206)


def test_protobuf_text_schema_with_bad_syntax_is_422(new_client, uid):
    bad = 'syntax = "proto3";\nmessage M {\n  string a = 1\n}\n'
    with pytest.raises(SchemaRegistryError) as info:
        new_client().register_schema(f"{uid}-value", Schema(bad, "PROTOBUF"))
    assert (info.value.http_status_code, info.value.error_code) == (422, 42201)
    assert "line 4" in info.value.error_message


# --------------------------------------------------------------------------- JSON Schema tests


PRODUCT = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Product",
    "type": "object",
    "properties": {
        "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]+$"},
        "price": {"type": "number", "exclusiveMinimum": 0},
        "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
        "dimensions": {
            "type": "object",
            "properties": {"w": {"type": "number"}, "h": {"type": "number"}},
            "required": ["w", "h"],
        },
    },
    "required": ["sku", "price"],
}


def test_json_serializer_auto_registers_and_deserializer_validates(new_client, uid):
    ctx = SerializationContext(uid, MessageField.VALUE)
    schema_str = json.dumps(PRODUCT)
    value = {"sku": "ABC-12", "price": 9.5, "tags": ["a", "b"], "dimensions": {"w": 1, "h": 2}}

    payload = JSONSerializer(schema_str, new_client())(value, ctx)
    schema_id = wire_id(payload)
    reader = new_client()
    latest = reader.get_latest_version(f"{uid}-value")
    assert latest.schema_id == schema_id
    assert latest.schema.schema_type == "JSON"
    assert json.loads(latest.schema.schema_str) == PRODUCT

    assert JSONDeserializer(None, schema_registry_client=new_client())(payload, ctx) == value
    # The deserializer given the reader schema works too.
    assert JSONDeserializer(schema_str, schema_registry_client=new_client())(payload, ctx) == value

    # A serializer that does not validate can write a bad value; the deserializer, which
    # validates against the schema fetched from the registry, refuses it.
    bad = {"sku": "nope", "price": -1}
    bad_payload = JSONSerializer(schema_str, new_client(), conf={"validate": False})(bad, ctx)
    assert wire_id(bad_payload) == schema_id, "same schema, same id"
    with pytest.raises(SerializationError):
        JSONDeserializer(None, schema_registry_client=new_client())(bad_payload, ctx)
    # A validating serializer refuses it before the registry is involved.
    with pytest.raises(SerializationError):
        JSONSerializer(schema_str, new_client())(bad, ctx)
    assert new_client().get_versions(f"{uid}-value") == [1]


def test_json_serde_with_reference(new_client, uid):
    address = {
        "$id": "https://acme.example/address.json",
        "type": "object",
        "properties": {"city": {"type": "string"}, "zip": {"type": "string"}},
        "required": ["city"],
    }
    customer = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "home": {"$ref": "https://acme.example/address.json"}},
        "required": ["name", "home"],
    }
    addr_subject = f"{uid}-address"
    client = new_client()
    client.register_schema(addr_subject, Schema(json.dumps(address), "JSON"))
    refs = [SchemaReference("https://acme.example/address.json", addr_subject, 1)]
    schema = Schema(json.dumps(customer), "JSON", refs)

    ctx = SerializationContext(uid, MessageField.VALUE)
    value = {"name": "Ada", "home": {"city": "London"}}
    payload = JSONSerializer(schema, new_client())(value, ctx)
    latest = new_client().get_latest_version(f"{uid}-value")
    assert latest.schema_id == wire_id(payload)
    assert [(r.name, r.subject, r.version) for r in latest.schema.references] == [
        ("https://acme.example/address.json", addr_subject, 1)
    ]
    assert new_client().get_referenced_by(addr_subject, 1) == [wire_id(payload)]

    # The deserializer resolves the reference through the registry and validates with it:
    # a home without a city is refused.
    assert JSONDeserializer(None, schema_registry_client=new_client())(payload, ctx) == value
    bad_payload = JSONSerializer(schema, new_client(), conf={"validate": False})(
        {"name": "Bob", "home": {"zip": "123"}}, ctx
    )
    with pytest.raises(SerializationError):
        JSONDeserializer(None, schema_registry_client=new_client())(bad_payload, ctx)


def test_json_incompatible_change_is_rejected(new_client, uid):
    subject = f"{uid}-value"
    closed = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
        "additionalProperties": False,
    }
    client = new_client()
    client.register_schema(subject, Schema(json.dumps(closed), "JSON"))
    removed = dict(closed, properties={"a": {"type": "string"}})
    candidate = Schema(json.dumps(removed), "JSON")
    assert client.test_compatibility(subject, candidate) is False
    with pytest.raises(SchemaRegistryError) as info:
        client.register_schema(subject, candidate)
    assert info.value.http_status_code == 409
    assert "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL" in info.value.error_message

    with pytest.raises(SchemaRegistryError) as info:
        client.register_schema(f"{uid}-bad", Schema('{"type": "strin"}', "JSON"))
    assert (info.value.http_status_code, info.value.error_code) == (422, 42201)
