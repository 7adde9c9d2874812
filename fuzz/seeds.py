#!/usr/bin/env python3
"""Build the fuzz targets' seed corpora from the repository's test vectors.

Writes fuzz/corpus/<target>/seed-<hash> files (the directory is not committed; libFuzzer adds
what it finds beside them). Sources: the compatibility vectors under compat/tests/vectors/,
the schema literals of the compat crate's tests (compat/tests/it/), and a few wire-format
messages written here for the wire_decode target's schemas.
"""

import hashlib
import json
import pathlib
import re
import struct
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "fuzz" / "corpus"
FORMATS = {"AVRO": "avro", "PROTOBUF": "protobuf", "JSON": "json"}


def text_of(schema):
    return schema if isinstance(schema, str) else json.dumps(schema)


def write(target, data):
    if isinstance(data, str):
        data = data.encode()
    directory = CORPUS / target
    directory.mkdir(parents=True, exist_ok=True)
    name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
    (directory / name).write_bytes(data)


def vectors():
    """(format, [schema texts in history order]) for each vector case."""
    for path in sorted((ROOT / "compat" / "tests" / "vectors").rglob("*.json")):
        for case in json.loads(path.read_text()):
            fmt = FORMATS.get(case.get("format"))
            if fmt is None:
                continue
            texts = [text_of(s) for s in case.get("history", [])]
            texts += [text_of(case[k]) for k in ("old", "new") if k in case]
            if texts:
                yield fmt, texts


def literals():
    """(format, text) for the raw string literals of the compat tests that look like schemas."""
    for path in sorted((ROOT / "compat" / "tests" / "it").glob("*.rs")):
        fmt = path.name.split("_")[0]
        if fmt not in ("avro", "json", "protobuf"):
            continue
        source = path.read_text()
        for literal in re.findall(r'r#+"(.*?)"#+', source, re.S):
            if fmt == "protobuf" and ("message" in literal or "syntax" in literal):
                yield fmt, literal
            elif fmt != "protobuf" and literal.lstrip()[:1] in "{[\"":
                yield fmt, literal


def zigzag(v):
    return (v << 1) ^ (v >> 63)


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def avro_long(v):
    return varint(zigzag(v))


def avro_bytes(b):
    return avro_long(len(b)) + b


HEADER = b"\x00\x00\x00\x00\x01"


def wire_seeds():
    """Messages for wire_decode: a selector byte (its schema list's index), then the message."""
    record = (
        avro_bytes(b"hi") + avro_long(7) + avro_long(1) + avro_long(5)
        + avro_long(2) + avro_long(3) + avro_long(-4) + b"\x00"
        + avro_long(1) + avro_bytes(b"k") + struct.pack("<d", 1.5) + b"\x00"
        + avro_long(1) + b"ab" + avro_bytes(b"\x01\x02")
        + avro_bytes(b"123e4567-e89b-12d3-a456-426614174000")
        + avro_long(1700000000000) + avro_long(2) + struct.pack("<f", 0.5)
    )
    lst = avro_long(1) + avro_long(1) + avro_long(2) + avro_long(1) + avro_long(3) + avro_long(0)
    nested = (
        avro_long(1) + avro_long(1) + avro_bytes(b"k") + avro_long(1) + avro_bytes(b"v")
        + b"\x00" + b"\x00"
    )
    a = b"\x0a\x02hi" + b"\x10\x05" + b"\x1a\x02\x01\x02" + b"\x22\x07\x0a\x01k\x12\x02\x08\x01"
    b_msg = b"\x09" + struct.pack("<d", 2.5)
    c_msg = b"\x08\x03" + b"\x11" + struct.pack("<Q", 9) + b"\x25" + struct.pack("<f", 1.0)
    p = b"\x0b\x08\x01\x0c" + b"\x12\x01n" + b"\x1a\x02\x01\x02" + b"\xa0\x06\x05"
    seeds = [
        (0, HEADER + record), (1, HEADER + record), (2, HEADER + lst), (3, HEADER + lst),
        (4, HEADER + nested), (4, HEADER + b"\x00"),
        (5, HEADER + b"\x00" + a), (5, HEADER + b"\x04\x00\x00" + b_msg),
        (5, HEADER + b"\x02\x02" + c_msg), (6, HEADER + b"\x00" + p),
        (7, HEADER + b'{"a":1,"b":[{"c":"2024-01-02"}],"x":"abc"}'), (7, HEADER + b"[]"),
    ]
    return [bytes([choice]) + message for choice, message in seeds]


def main():
    count = 0
    for fmt, texts in vectors():
        for text in texts:
            write(f"{fmt}_parse", text)
            write("request_body", json.dumps({"schema": text, "schemaType": fmt.upper()}))
            count += 1
        for old, new in zip(texts, texts[1:]):
            write(f"{fmt}_compat", old + "\0" + new)
            write(f"{fmt}_compat", new + "\0" + old)
    for fmt, text in literals():
        write(f"{fmt}_parse", text)
        count += 1
    # References: the last text is the schema, the ones before it its references.
    write("protobuf_parse", 'syntax = "proto3";\nmessage D { int32 a = 1; }\0'
          'syntax = "proto3";\nimport "r0.proto";\nmessage U { D d = 1; }\n')
    write("avro_parse", '{"type":"record","name":"D","fields":[{"name":"a","type":"int"}]}\0'
          '{"type":"record","name":"U","fields":[{"name":"d","type":"D"}]}')
    write("json_parse", '{"type":"integer"}\0{"type":"object","properties":{"d":{"$ref":"r0.json"}}}')
    for body in [
        {"schema": '"int"', "references": [{"name": "a", "subject": "s", "version": 1}]},
        {"schema": '"int"', "metadata": {"properties": {"owner": "x"}},
         "ruleSet": {"domainRules": [{"name": "r", "kind": "CONDITION", "mode": "WRITE",
                                      "type": "CEL", "expr": "true"}]}},
        {"schema": '"int"', "schemaType": "AVRO", "id": 7, "version": 2},
        {"schema": "", "metadata": {"properties": {"a": "b"}}},
    ]:
        write("request_body", json.dumps(body))
    for seed in wire_seeds():
        write("wire_decode", seed)
    print(f"seeds: {count} schema texts from the vectors and tests, into {CORPUS}")


if __name__ == "__main__":
    main()
