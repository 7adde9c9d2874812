"""HTTPS with the real confluent-kafka client (docs/tls.md).

Makes a CA, a server certificate for 127.0.0.1 and a client certificate (CN "producer") with
`openssl`, starts its own Schemata (the binary run.sh exports as SCHEMATA_BIN) twice on fresh
SQLite files: with --tls-cert/--tls-key, reached with `ssl.ca.location`; and with
--tls-client-ca too, reached with `ssl.certificate.location`/`ssl.key.location`.
"""

import json
import ssl

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from support import make_pki, start_schemata

SCHEMA = json.dumps(
    {"type": "record", "name": "Order", "fields": [{"name": "id", "type": "long"}]}
)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("tls"), ["producer"])


def start(work, name, extra):
    context = ssl.create_default_context(cafile=str(work / "server-ca.pem"))
    if extra:
        context.load_cert_chain(str(work / "producer.pem"), str(work / "producer.key"))
    tls = ["--tls-cert", str(work / "server.pem"), "--tls-key", str(work / "server.key")]
    return start_schemata(work, name, [*tls, *extra], context)


@pytest.fixture(scope="module")
def https_url(pki):
    proc, url = start(pki, "https", [])
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def mtls_url(pki):
    proc, url = start(pki, "mtls", ["--tls-client-ca", str(pki / "client-ca.pem")])
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def round_trip(client, topic):
    ctx = SerializationContext(topic, MessageField.VALUE)
    payload = AvroSerializer(client, SCHEMA)({"id": 7}, ctx)
    assert AvroDeserializer(client)(payload, ctx) == {"id": 7}
    assert client.get_subjects() == [f"{topic}-value"]


def test_https_with_ssl_ca_location(https_url, pki):
    client = SchemaRegistryClient({"url": https_url, "ssl.ca.location": str(pki / "server-ca.pem")})
    round_trip(client, "orders")


def test_https_without_the_ca_is_refused(https_url):
    client = SchemaRegistryClient({"url": https_url})
    with pytest.raises(Exception) as refused:
        client.get_subjects()
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value)


def test_mtls_with_a_client_certificate(mtls_url, pki):
    client = SchemaRegistryClient({
        "url": mtls_url,
        "ssl.ca.location": str(pki / "server-ca.pem"),
        "ssl.certificate.location": str(pki / "producer.pem"),
        "ssl.key.location": str(pki / "producer.key"),
    })
    round_trip(client, "payments")


def test_mtls_without_a_client_certificate_is_refused(mtls_url, pki):
    client = SchemaRegistryClient({"url": mtls_url, "ssl.ca.location": str(pki / "server-ca.pem")})
    with pytest.raises(Exception):
        client.get_subjects()
