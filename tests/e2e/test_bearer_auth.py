"""Bearer tokens (JWTs) with the real confluent-kafka client.

Starts a small identity provider in the test (support.py: an http.server thread serving a
JWKS and an OAuth 2 client-credentials token endpoint that signs RS256 JWTs with a key made
here), and its own Schemata (the binary run.sh exports as SCHEMATA_BIN) on a fresh SQLite
file with --jwks pointing to that JWKS URL. Clients use `bearer.auth.credentials.source=STATIC_TOKEN`
with a token the test mints, and `OAUTHBEARER` (client credentials) against the endpoint.
"""

import json

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

from support import AUDIENCE, CLIENT_ID, CLIENT_SECRET, serve_idp, start_schemata


@pytest.fixture(scope="module")
def idp():
    idp, stop = serve_idp()
    yield idp
    stop()


@pytest.fixture(scope="module")
def secured_url(idp, tmp_path_factory):
    proc, url = start_schemata(tmp_path_factory.mktemp("bearer"), "bearer", [
        "--jwks", f"{idp.issuer}/jwks",
        "--jwt-issuer", idp.issuer,
        "--jwt-audience", AUDIENCE,
        "--jwt-roles-claim", "realm_access.roles",
        "--basic-auth-roles", "developer",
    ])
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def round_trip(client, topic):
    schema_str = json.dumps(
        {"type": "record", "name": "Order", "fields": [{"name": "id", "type": "long"}]}
    )
    ctx = SerializationContext(topic, MessageField.VALUE)
    payload = AvroSerializer(client, schema_str)({"id": 7}, ctx)
    assert AvroDeserializer(client)(payload, ctx) == {"id": 7}
    assert f"{topic}-value" in client.get_subjects()


@pytest.mark.parametrize("alg", ["RS256", "EdDSA"])
def test_static_token_round_trips(idp, secured_url, alg):
    client = SchemaRegistryClient({
        "url": secured_url,
        "bearer.auth.credentials.source": "STATIC_TOKEN",
        "bearer.auth.token": idp.token("ci-pipeline", ["developer"], alg=alg),
        "bearer.auth.logical.cluster": "lsrc-local",
    })
    round_trip(client, f"static-{alg.lower()}")


def test_oauthbearer_client_credentials_round_trips(idp, secured_url):
    client = SchemaRegistryClient({
        "url": secured_url,
        "bearer.auth.credentials.source": "OAUTHBEARER",
        "bearer.auth.client.id": CLIENT_ID,
        "bearer.auth.client.secret": CLIENT_SECRET,
        "bearer.auth.scope": "schema_registry",
        "bearer.auth.issuer.endpoint.url": f"{idp.issuer}/token",
        "bearer.auth.logical.cluster": "lsrc-local",
    })
    before = idp.tokens_issued
    round_trip(client, "oauth-orders")
    assert idp.tokens_issued == before + 1, "one token fetched, reused for every request"


@pytest.mark.parametrize(
    "case, status, error_code",
    [
        ("expired", 401, 40101),
        ("wrong audience", 401, 40101),
        ("role not allowed", 403, 40301),
    ],
)
def test_refused_tokens_get_the_error_envelope(idp, secured_url, case, status, error_code):
    token = {
        "expired": lambda: idp.token("ci", ["developer"], lifetime=-3600),
        "wrong audience": lambda: idp.token("ci", ["developer"], audience="another-app"),
        "role not allowed": lambda: idp.token("ci", ["viewer"]),
    }[case]()
    client = SchemaRegistryClient({
        "url": secured_url,
        "bearer.auth.credentials.source": "STATIC_TOKEN",
        "bearer.auth.token": token,
        "bearer.auth.logical.cluster": "lsrc-local",
    })
    with pytest.raises(SchemaRegistryError) as refused:
        client.get_subjects()
    assert refused.value.http_status_code == status
    assert refused.value.error_code == error_code
    assert token.split(".")[2] not in str(refused.value)
