"""HTTPS with the real confluent-kafka client (docs/tls.md).

Makes a CA, a server certificate for 127.0.0.1 and a client certificate (CN "producer") with
`openssl`, starts its own Schemata (the binary run.sh exports as SCHEMATA_BIN) twice on fresh
SQLite files: with --tls-cert/--tls-key, reached with `ssl.ca.location`; and with
--tls-client-ca too, reached with `ssl.certificate.location`/`ssl.key.location`.
"""

import json
import os
import socket
import ssl
import subprocess
import time
import urllib.request

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

SCHEMA = json.dumps(
    {"type": "record", "name": "Order", "fields": [{"name": "id", "type": "long"}]}
)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(work, name):
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", f"/CN={name}", "-keyout", f"{name}.key", "-out", f"{name}.pem", cwd=work)
    return work / f"{name}.pem"


def make_cert(work, ca, name, extension):
    """A certificate for subject CN `name`, signed by the CA `ca` (its .pem and .key)."""
    (work / f"{name}.ext").write_text(extension + "\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=work)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
            "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext",
            "-out", f"{name}.pem", cwd=work)
    return work / f"{name}.pem", work / f"{name}.key"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    work = tmp_path_factory.mktemp("tls")
    make_ca(work, "server-ca")
    make_ca(work, "client-ca")
    make_cert(work, "server-ca", "server",
              "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth")
    make_cert(work, "client-ca", "producer", "extendedKeyUsage=clientAuth")
    return work


def start(work, name, extra):
    binary = os.environ.get("SCHEMATA_BIN")
    if not binary:
        pytest.fail("SCHEMATA_BIN is not set; run tests/e2e/run.sh")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "serve", "--database-url", f"sqlite://{work / (name + '.db')}",
         "--listen", f"127.0.0.1:{port}",
         "--tls-cert", str(work / "server.pem"), "--tls-key", str(work / "server.key"),
         *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"https://127.0.0.1:{port}"
    context = ssl.create_default_context(cafile=str(work / "server-ca.pem"))
    if extra:
        context.load_cert_chain(str(work / "producer.pem"), str(work / "producer.key"))
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1, context=context) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    pytest.fail(f"the {name} server did not start")


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
