"""Bearer tokens (JWTs) with the real confluent-kafka client.

Starts a small identity provider in the test (an http.server thread serving a JWKS and an
OAuth 2 client-credentials token endpoint that signs RS256 JWTs with a key made here), and
its own Schemata (the binary run.sh exports as SCHEMATA_BIN) on a fresh SQLite file with
--jwks pointing to that JWKS URL. Clients use `bearer.auth.credentials.source=STATIC_TOKEN`
with a token the test mints, and `OAUTHBEARER` (client credentials) against the endpoint.
"""

import base64
import json
import os
import socket
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

AUDIENCE = "schemata"
CLIENT_ID = "producer-app"
CLIENT_SECRET = "producer-secret"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(n: int) -> bytes:
    return n.to_bytes((n.bit_length() + 7) // 8, "big")


class Idp:
    """Keys, their JWKS, and JWTs signed with them."""

    def __init__(self):
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ed = ed25519.Ed25519PrivateKey.generate()
        self.issuer = None
        self.tokens_issued = 0

    def jwks(self) -> dict:
        numbers = self.rsa.public_key().public_numbers()
        ed_public = self.ed.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return {
            "keys": [
                {"kty": "RSA", "kid": "rsa-1", "alg": "RS256", "use": "sig",
                 "n": b64url(uint(numbers.n)), "e": b64url(uint(numbers.e))},
                {"kty": "OKP", "crv": "Ed25519", "kid": "ed-1", "x": b64url(ed_public)},
            ]
        }

    def token(self, sub, roles, alg="RS256", lifetime=300, audience=AUDIENCE):
        now = int(time.time())
        kid = "rsa-1" if alg == "RS256" else "ed-1"
        header = {"alg": alg, "kid": kid, "typ": "JWT"}
        claims = {"iss": self.issuer, "aud": audience, "sub": sub, "iat": now,
                  "exp": now + lifetime, "realm_access": {"roles": roles}}
        signed = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
        if alg == "RS256":
            signature = self.rsa.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256())
        else:
            signature = self.ed.sign(signed.encode())
        return f"{signed}.{b64url(signature)}"


def handler_for(idp: Idp):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def answer(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/jwks":
                self.answer(200, idp.jwks())
            else:
                self.answer(404, {"error": "not_found"})

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            form = dict(
                pair.split("=", 1)
                for pair in self.rfile.read(length).decode().split("&")
                if "=" in pair
            )
            expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if self.path != "/token" or form.get("grant_type") != "client_credentials":
                self.answer(400, {"error": "unsupported_grant_type"})
            elif self.headers.get("Authorization") != expected:
                self.answer(401, {"error": "invalid_client"})
            else:
                idp.tokens_issued += 1
                token = idp.token(CLIENT_ID, ["developer"])
                self.answer(200, {"access_token": token, "token_type": "Bearer", "expires_in": 300})

    return Handler


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def idp():
    idp = Idp()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(idp))
    idp.issuer = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield idp
    server.shutdown()


@pytest.fixture(scope="module")
def secured_url(idp, tmp_path_factory):
    binary = os.environ.get("SCHEMATA_BIN")
    if not binary:
        pytest.fail("SCHEMATA_BIN is not set; run tests/e2e/run.sh")
    work = tmp_path_factory.mktemp("bearer")
    port = free_port()
    proc = subprocess.Popen(
        [
            binary, "serve",
            "--database-url", f"sqlite://{work / 'bearer.db'}",
            "--listen", f"127.0.0.1:{port}",
            "--jwks", f"{idp.issuer}/jwks",
            "--jwt-issuer", idp.issuer,
            "--jwt-audience", AUDIENCE,
            "--jwt-roles-claim", "realm_access.roles",
            "--basic-auth-roles", "developer",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail("the server exited at start")
                time.sleep(0.1)
        else:
            pytest.fail("the secured server did not start")
        yield url
    finally:
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
