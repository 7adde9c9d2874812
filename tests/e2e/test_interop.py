"""Interoperability of the Rust serializers (through `schemata encode` / `schemata decode`)
with the confluent-kafka Python serializers, for Avro, JSON Schema and Protobuf: bytes
written by one side are read by the other, against the running Schemata.

run.sh exports SCHEMATA_BIN (the binary under test) next to SCHEMATA_URL.
"""

import base64
import json
import os
import subprocess
import uuid

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.json_format import MessageToDict


@pytest.fixture(scope="module")
def bin_path():
    value = os.environ.get("SCHEMATA_BIN")
    if not value:
        pytest.fail("SCHEMATA_BIN is not set; run tests/e2e/run.sh")
    return value


def schemata(bin_path, url, args, stdin):
    proc = subprocess.run(
        [bin_path, *args, "--registry-url", url],
        input=stdin,
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def topic():
    return "interop-" + uuid.uuid4().hex[:12]


def fresh(url):
    return SchemaRegistryClient({"url": url})


# --------------------------------------------------------------------------- Avro

AVRO = json.dumps(
    {
        "type": "record",
        "name": "Payment",
        "namespace": "interop",
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "amount", "type": "double"},
            {"name": "count", "type": "long"},
            {"name": "note", "type": ["null", "string"], "default": None},
            {"name": "tags", "type": {"type": "array", "items": "string"}},
            {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
        ],
    }
)
AVRO_VALUE = {
    "id": "p-1",
    "amount": 12.5,
    "count": 1234567890123,
    "note": "hello",
    "tags": ["x", "y"],
    "kind": "B",
}


def test_avro_rust_to_python(url, bin_path, tmp_path):
    t = topic()
    schema = write(tmp_path, "p.avsc", AVRO)
    data = schemata(
        bin_path, url, ["encode", "--topic", t, "--type", "AVRO", "--schema", schema],
        json.dumps(AVRO_VALUE).encode(),
    )
    assert data[0] == 0
    value = AvroDeserializer(fresh(url))(data, SerializationContext(t, MessageField.VALUE))
    assert value == AVRO_VALUE


def test_avro_python_to_rust(url, bin_path):
    t = topic()
    data = AvroSerializer(fresh(url), AVRO)(AVRO_VALUE, SerializationContext(t, MessageField.VALUE))
    out = schemata(bin_path, url, ["decode"], data)
    assert json.loads(out) == AVRO_VALUE


def test_avro_same_bytes_both_ways(url, bin_path, tmp_path):
    """Same schema, same value: the Rust and the Python serializer write identical bytes."""
    t = topic()
    py = AvroSerializer(fresh(url), AVRO)(AVRO_VALUE, SerializationContext(t, MessageField.KEY))
    schema = write(tmp_path, "p.avsc", AVRO)
    rust = schemata(
        bin_path, url,
        ["encode", "--topic", t, "--key", "--type", "AVRO", "--schema", schema],
        json.dumps(AVRO_VALUE).encode(),
    )
    assert rust == py


# --------------------------------------------------------------------------- JSON Schema

JSON_SCHEMA = json.dumps(
    {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Shipment",
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "weight": {"type": "number"},
            "items": {"type": "array", "items": {"type": "integer"}},
        },
        "required": ["id"],
    }
)
JSON_VALUE = {"id": "s-9", "weight": 2.25, "items": [1, 2, 3]}


def test_json_rust_to_python(url, bin_path, tmp_path):
    t = topic()
    schema = write(tmp_path, "s.json", JSON_SCHEMA)
    data = schemata(
        bin_path, url, ["encode", "--topic", t, "--type", "JSON", "--schema", schema],
        json.dumps(JSON_VALUE).encode(),
    )
    de = JSONDeserializer(None, schema_registry_client=fresh(url))
    assert de(data, SerializationContext(t, MessageField.VALUE)) == JSON_VALUE


def test_json_python_to_rust(url, bin_path):
    t = topic()
    ser = JSONSerializer(JSON_SCHEMA, fresh(url))
    data = ser(JSON_VALUE, SerializationContext(t, MessageField.VALUE))
    assert json.loads(schemata(bin_path, url, ["decode"], data)) == JSON_VALUE


# --------------------------------------------------------------------------- Protobuf

PROTO = """syntax = "proto3";
package interop.pb;

message Order {
  string id = 1;
  int64 quantity = 2;
  message Line {
    string sku = 1;
    int32 count = 2;
  }
  repeated Line lines = 3;
}

message Customer {
  string name = 1;
  repeated string emails = 2;
  Order.Line favourite = 3;
}
"""
CUSTOMER = {
    "name": "ann",
    "emails": ["a@example.com", "b@example.com"],
    "favourite": {"sku": "X1", "count": 3},
}
ORDER = {"id": "o-1", "quantity": "42", "lines": [{"sku": "A", "count": 1}]}


def message_classes(url, schema_id):
    """Python message classes built from the descriptor the registry serves."""
    serialized = fresh(url).get_schema(schema_id, fmt="serialized").schema_str
    file_proto = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(serialized))
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file_proto)
    return {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"interop.pb.{name}"))
        for name in ("Order", "Customer", "Order.Line")
    }


def to_dict(msg):
    return MessageToDict(msg, preserving_proto_field_name=True)


def test_protobuf_both_ways(url, bin_path, tmp_path):
    schema = write(tmp_path, "m.proto", PROTO)
    # Rust writes a Customer (message index [1]) and an Order ([0]).
    t1, t2 = topic(), topic()
    customer_bytes = schemata(
        bin_path, url,
        ["encode", "--topic", t1, "--type", "PROTOBUF", "--schema", schema,
         "--message", "interop.pb.Customer"],
        json.dumps(CUSTOMER).encode(),
    )
    order_bytes = schemata(
        bin_path, url,
        ["encode", "--topic", t2, "--type", "PROTOBUF", "--schema", schema],
        json.dumps(ORDER).encode(),
    )
    assert customer_bytes[5:7] == b"\x02\x02"  # indexes [1]
    assert order_bytes[5] == 0  # [0] shortcut
    schema_id = int.from_bytes(customer_bytes[1:5], "big")
    classes = message_classes(url, schema_id)

    # Python reads what Rust wrote.
    de = ProtobufDeserializer(classes["Customer"], {}, fresh(url))
    customer = de(customer_bytes, SerializationContext(t1, MessageField.VALUE))
    assert to_dict(customer) == CUSTOMER
    de = ProtobufDeserializer(classes["Order"], {}, fresh(url))
    order = de(order_bytes, SerializationContext(t2, MessageField.VALUE))
    assert to_dict(order) == ORDER

    # Rust reads what Python wrote, including a nested message type (indexes [0, 0]).
    t3 = topic()
    ser = ProtobufSerializer(classes["Customer"], fresh(url))
    data = ser(customer, SerializationContext(t3, MessageField.VALUE))
    assert json.loads(schemata(bin_path, url, ["decode"], data)) == CUSTOMER
    line = classes["Order.Line"](sku="Z", count=9)
    ser = ProtobufSerializer(classes["Order.Line"], fresh(url))
    data = ser(line, SerializationContext(topic(), MessageField.VALUE))
    assert data[5:8] == b"\x04\x00\x00"
    assert json.loads(schemata(bin_path, url, ["decode"], data)) == {"sku": "Z", "count": 9}
