"""Shared fixtures for the confluent-kafka end-to-end tests.

The server under test is given by the SCHEMATA_URL environment variable
(run.sh starts Schemata and sets it).
"""

import os
import uuid

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient


@pytest.fixture(scope="session")
def url():
    value = os.environ.get("SCHEMATA_URL")
    if not value:
        pytest.fail("SCHEMATA_URL is not set; run tests/e2e/run.sh instead of pytest directly")
    return value.rstrip("/")


@pytest.fixture
def new_client(url):
    """Factory for fresh clients.

    The Python client caches ids, schemas and latest versions for its whole
    lifetime; a test that wants the server to answer again needs a new client.
    """
    made = []

    def make():
        c = SchemaRegistryClient({"url": url})
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


@pytest.fixture
def client(new_client):
    return new_client()


@pytest.fixture
def uid(request):
    """A name fragment unique to this test invocation."""
    short = request.node.name.replace("[", "-").replace("]", "").replace("_", "-")[:40]
    return f"e2e-{short}-{uuid.uuid4().hex[:10]}"
