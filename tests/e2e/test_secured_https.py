"""Every way in over HTTPS, under an ACL, with the real confluent-kafka client
(docs/rest-api.md §10-11, docs/tls.md).

Makes its certificates with `openssl` and its identity provider in the test (support.py),
and starts two Schematas of its own on fresh SQLite files:

* HTTPS (`--tls-cert`/`--tls-key`) with `--basic-auth-file`, `--jwks` and `--acl-file`:
  the client verifies the server with `ssl.ca.location` and proves who it is with basic
  credentials, with `STATIC_TOKEN` and with `OAUTHBEARER` (client credentials);
* HTTPS with `--tls-client-ca` and `--acl-file`: the client certificate's CN is the
  principal (`ssl.certificate.location`/`ssl.key.location`).

Each principal may read and write only its own subjects: its round trip works, its listing
shows only them, and a write elsewhere is 403/40301.
"""

import json
import ssl
import subprocess

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

from support import (
    AUDIENCE, CLIENT_ID, CLIENT_SECRET, make_pki, schemata_bin, serve_idp, start_schemata,
)

SCHEMA = json.dumps(
    {"type": "record", "name": "Order", "fields": [{"name": "id", "type": "long"}]}
)

# One grant per principal: user:NAME may read and write subjects starting with PREFIX.
ACL = "".join(
    f'[[allow]]\nprincipal = "user:{name}"\nsubjects = ["{prefix}*"]\n'
    'operations = ["read", "write"]\n\n'
    for name, prefix in [
        ("producer", "basic-"),        # basic credentials
        ("ci-pipeline", "static-"),    # a static token's `sub`
        (CLIENT_ID, "oauth-"),         # the client-credentials token's `sub`
        ("payments-svc", "payments-"),  # a client certificate's CN
    ]
)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    work = make_pki(tmp_path_factory.mktemp("secured"), ["payments-svc", "intruder"])
    (work / "acl.toml").write_text(ACL)
    # The producer's line as `schemata passwd` prints it (argon2id).
    line = subprocess.run([schemata_bin(), "passwd", "producer"], input="p-pass\n",
                          capture_output=True, text=True, check=True).stdout.strip()
    (work / "users.txt").write_text(line + "\n")
    return work


@pytest.fixture(scope="module")
def idp():
    idp, stop = serve_idp()
    yield idp
    stop()


def tls_flags(work):
    return ["--tls-cert", str(work / "server.pem"), "--tls-key", str(work / "server.key"),
            "--acl-file", str(work / "acl.toml")]


@pytest.fixture(scope="module")
def https_url(pki, idp):
    context = ssl.create_default_context(cafile=str(pki / "server-ca.pem"))
    proc, url = start_schemata(pki, "https", [
        *tls_flags(pki),
        "--basic-auth-file", str(pki / "users.txt"),
        "--jwks", f"{idp.issuer}/jwks",
        "--jwt-issuer", idp.issuer,
        "--jwt-audience", AUDIENCE,
    ], context)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def mtls_url(pki):
    context = ssl.create_default_context(cafile=str(pki / "server-ca.pem"))
    context.load_cert_chain(str(pki / "intruder.pem"), str(pki / "intruder.key"))
    proc, url = start_schemata(pki, "mtls", [
        *tls_flags(pki), "--tls-client-ca", str(pki / "client-ca.pem"),
    ], context)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def client_for(url, pki, **conf):
    return SchemaRegistryClient({"url": url, "ssl.ca.location": str(pki / "server-ca.pem"),
                                 **conf})


def round_trip_alone(client, topic):
    """Serialize and deserialize on `topic`; the listing shows this principal's subject only
    (other tests' subjects are there too, unreadable to it)."""
    ctx = SerializationContext(topic, MessageField.VALUE)
    payload = AvroSerializer(client, SCHEMA)({"id": 7}, ctx)
    assert AvroDeserializer(client)(payload, ctx) == {"id": 7}
    assert client.get_subjects() == [f"{topic}-value"]


def assert_refused(call, status, error_code):
    with pytest.raises(SchemaRegistryError) as refused:
        call()
    assert (refused.value.http_status_code, refused.value.error_code) == (status, error_code)
    return refused.value


def test_basic_credentials_over_https(https_url, pki):
    client = client_for(https_url, pki, **{
        "basic.auth.user.info": "producer:p-pass",
    })
    round_trip_alone(client, "basic-orders")
    refused = assert_refused(
        lambda: client.register_schema("static-orders-value", Schema(SCHEMA, "AVRO")),
        403, 40301)
    assert "producer" in str(refused) and "write" in str(refused)
    wrong = client_for(https_url, pki, **{
        "basic.auth.user.info": "producer:wrong",
    })
    assert_refused(wrong.get_subjects, 401, 40101)


def test_static_token_over_https(https_url, pki, idp):
    client = client_for(https_url, pki, **{
        "bearer.auth.credentials.source": "STATIC_TOKEN",
        "bearer.auth.token": idp.token("ci-pipeline", []),
        "bearer.auth.logical.cluster": "lsrc-local",
    })
    round_trip_alone(client, "static-orders")
    assert_refused(
        lambda: client.register_schema("basic-x-value", Schema(SCHEMA, "AVRO")), 403, 40301)


def test_oauthbearer_over_https(https_url, pki, idp):
    client = client_for(https_url, pki, **{
        "bearer.auth.credentials.source": "OAUTHBEARER",
        "bearer.auth.client.id": CLIENT_ID,
        "bearer.auth.client.secret": CLIENT_SECRET,
        "bearer.auth.scope": "schema_registry",
        "bearer.auth.issuer.endpoint.url": f"{idp.issuer}/token",
        "bearer.auth.logical.cluster": "lsrc-local",
    })
    round_trip_alone(client, "oauth-orders")
    assert_refused(
        lambda: client.register_schema("static-y-value", Schema(SCHEMA, "AVRO")), 403, 40301)


def test_a_client_certificate_is_the_principal_of_the_acl(mtls_url, pki):
    def with_certificate(name):
        return client_for(mtls_url, pki, **{
            "ssl.certificate.location": str(pki / f"{name}.pem"),
            "ssl.key.location": str(pki / f"{name}.key"),
        })

    payments = with_certificate("payments-svc")
    round_trip_alone(payments, "payments")
    assert_refused(
        lambda: payments.register_schema("orders-value", Schema(SCHEMA, "AVRO")), 403, 40301)
    # Another certificate of the same CA gets in, and may do nothing the ACL does not grant.
    intruder = with_certificate("intruder")
    assert intruder.get_subjects() == []
    refused = assert_refused(
        lambda: intruder.register_schema("payments-value", Schema(SCHEMA, "AVRO")), 403, 40301)
    assert "intruder" in str(refused)
