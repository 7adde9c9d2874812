"""Writers for bench/read_under_load.sh: N threads, each registering new versions of a
2,500-field Avro record (every version adds one optional field, so each is new and BACKWARD
compatible) to its own subject, back to back, until the deadline. Prints one line per
status code: `STATUS <code> <count>`.

Usage: big_writers.py HOST:PORT SECONDS [THREADS=16] [FIELDS=2500]
"""
import http.client
import json
import sys
import threading
import time
from collections import Counter

host, seconds = sys.argv[1], float(sys.argv[2])
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 16
fields = int(sys.argv[4]) if len(sys.argv) > 4 else 2500
deadline = time.monotonic() + seconds
counts = Counter()
lock = threading.Lock()


def schema(extra):
    base = [{"name": f"f{i}", "type": "long"} for i in range(fields)]
    base += [{"name": f"x{j}", "type": ["null", "string"], "default": None} for j in range(extra)]
    return json.dumps({"type": "record", "name": "Big", "fields": base})


def writer(n):
    connection = http.client.HTTPConnection(host, timeout=60)
    version = 0
    while time.monotonic() < deadline:
        body = json.dumps({"schema": schema(version)})
        connection.request("POST", f"/subjects/big-{n}/versions", body,
                           {"Content-Type": "application/vnd.schemaregistry.v1+json"})
        response = connection.getresponse()
        response.read()
        with lock:
            counts[response.status] += 1
        if response.status == 200:
            version += 1
        elif response.status in (429, 503):
            time.sleep(float(response.getheader("Retry-After", "1")) / 10)


workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
for w in workers:
    w.start()
for w in workers:
    w.join()
for status, count in sorted(counts.items()):
    print(f"STATUS {status} {count}")
