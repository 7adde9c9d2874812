"""Helpers the security end-to-end tests share: a free port, certificates made with
`openssl`, a small identity provider (a JWKS and an OAuth 2 client-credentials token
endpoint signing JWTs with keys made here), and a Schemata of the test's own started from
the binary run.sh exports as SCHEMATA_BIN.
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
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

AUDIENCE = "schemata"
CLIENT_ID = "producer-app"
CLIENT_SECRET = "producer-secret"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- certificates


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


def make_pki(work, clients):
    """A server CA and a certificate for 127.0.0.1 signed by it; a client CA and a client
    certificate for each CN in `clients`."""
    make_ca(work, "server-ca")
    make_ca(work, "client-ca")
    make_cert(work, "server-ca", "server",
              "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth")
    for name in clients:
        make_cert(work, "client-ca", name, "extendedKeyUsage=clientAuth")
    return work


# ---------------------------------------------------------------- identity provider


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


def serve_idp():
    """An identity provider on a free port, serving until `stop` is called: (idp, stop)."""
    idp = Idp()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(idp))
    idp.issuer = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return idp, server.shutdown


# ---------------------------------------------------------------- the server


def schemata_bin():
    binary = os.environ.get("SCHEMATA_BIN")
    if not binary:
        pytest.fail("SCHEMATA_BIN is not set; run tests/e2e/run.sh")
    return binary


def start_schemata(work, name, extra, context=None):
    """`schemata serve` on a fresh SQLite file in `work` with the flags `extra`, once
    `GET /health` answers 200 (over HTTPS with the ssl `context` when one is given):
    (process, base URL). The caller terminates the process."""
    port = free_port()
    proc = subprocess.Popen(
        [schemata_bin(), "serve", "--database-url", f"sqlite://{work / (name + '.db')}",
         "--listen", f"127.0.0.1:{port}", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"{'https' if context else 'http'}://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1, context=context) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"the {name} server exited at start")
            time.sleep(0.1)
    proc.terminate()
    pytest.fail(f"the {name} server did not start")
