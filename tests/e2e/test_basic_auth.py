"""Basic authentication with the real confluent-kafka client.

Starts its own Schemata (the binary run.sh exports as SCHEMATA_BIN) on a fresh SQLite file
with --basic-auth-file, and talks to it with `basic.auth.user.info`, as producers behind an
authenticated registry are configured.
"""

import json
import os
import socket
import subprocess
import time
import urllib.request

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def secured_url(tmp_path_factory):
    binary = os.environ.get("SCHEMATA_BIN")
    if not binary:
        pytest.fail("SCHEMATA_BIN is not set; run tests/e2e/run.sh")
    work = tmp_path_factory.mktemp("basic-auth")
    users = work / "users.txt"
    # The producer's line as `schemata passwd` prints it (argon2id), roles appended by hand.
    producer = subprocess.run(
        [binary, "passwd", "producer"],
        input="p-pass\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert producer.startswith("producer: $argon2id$"), producer
    # writer's password "w-pass" given as its SHA-256; legacy's "secret" as Jetty's OBF:, as
    # in a users file carried over from CSR.
    users.write_text(
        f"{producer},developer\n"
        "writer: SHA256:11ec02c04cb6bb0e008b47cf24f020219864ae7721911ffa73d62e75ccba7437,developer\n"
        "legacy: OBF:1yta1t331v8w1v9q1t331ytc,developer\n"
        "auditor: a-pass,auditor\n"
    )
    port = free_port()
    proc = subprocess.Popen(
        [
            binary,
            "serve",
            "--database-url",
            f"sqlite://{work / 'auth.db'}",
            "--listen",
            f"127.0.0.1:{port}",
            "--basic-auth-file",
            str(users),
            "--basic-auth-roles",
            "developer",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the secured server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("user_info", ["producer:p-pass", "writer:w-pass", "legacy:secret"])
def test_serializer_round_trips_with_credentials(secured_url, user_info):
    client = SchemaRegistryClient({"url": secured_url, "basic.auth.user.info": user_info})
    schema_str = json.dumps(
        {"type": "record", "name": "Login", "fields": [{"name": "user", "type": "string"}]}
    )
    ctx = SerializationContext("logins", MessageField.VALUE)
    payload = AvroSerializer(client, schema_str)({"user": "ada"}, ctx)
    assert AvroDeserializer(client)(payload, ctx) == {"user": "ada"}
    assert client.get_subjects() == ["logins-value"]
    # A second client with the same credentials: answered from the remembered verification.
    again = SchemaRegistryClient({"url": secured_url, "basic.auth.user.info": user_info})
    assert again.get_subjects() == ["logins-value"]


@pytest.mark.parametrize(
    "user_info, status",
    [
        (None, 401),
        ("writer:wrong", 401),
        ("producer:wrong", 401),
        ("nobody:p-pass", 401),
        ("legacy:OBF:1yta1t331v8w1v9q1t331ytc", 401),
        ("auditor:a-pass", 403),
    ],
)
def test_refused_clients_get_the_error_envelope(secured_url, user_info, status):
    conf = {"url": secured_url}
    if user_info:
        conf["basic.auth.user.info"] = user_info
    client = SchemaRegistryClient(conf)
    with pytest.raises(SchemaRegistryError) as refused:
        client.get_subjects()
    assert refused.value.http_status_code == status
    assert refused.value.error_code == (40301 if status == 403 else 40101)
