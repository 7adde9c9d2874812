#!/usr/bin/env python3
"""Time from process start to the first `GET /health` answered 200.

Usage: startup_probe.py HOST:PORT LOGFILE CMD...
Prints two numbers: the wall-clock milliseconds to the first 200, and the CPU milliseconds
(user + system) the server process used over its whole life (start, the one health request,
graceful stop). CPU time barely depends on what else the machine runs, so it shows whether
start-up does work that grows with the data even when wall-clock times are noisy.
The server is stopped (SIGTERM, then SIGKILL) after the first 200.
Polls every millisecond over a raw socket so the measurement is not dominated by a client's
own start-up cost.
"""
import os
import signal
import socket
import subprocess
import sys
import time


def main() -> int:
    addr, logfile, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
    host, port = addr.rsplit(":", 1)
    request = f"GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n".encode()
    with open(logfile, "ab") as log:
        started = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=log, stderr=log)
        try:
            while True:
                if proc.poll() is not None:
                    print(f"server exited with {proc.returncode} before answering", file=sys.stderr)
                    return 1
                if time.monotonic() - started > 120:
                    print("no 200 from /health within 120 s", file=sys.stderr)
                    return 1
                try:
                    with socket.create_connection((host, int(port)), timeout=5) as s:
                        s.sendall(request)
                        if s.recv(16).startswith(b"HTTP/1.1 200"):
                            break
                except OSError:
                    pass
                time.sleep(0.001)
            elapsed = time.monotonic() - started
        finally:
            cpu = stop(proc)
    print(f"{elapsed * 1000:.1f} {cpu * 1000:.1f}")
    return 0


def stop(proc: subprocess.Popen) -> float:
    """SIGTERM (SIGKILL after 10 s), reap, and return the child's user + system CPU seconds."""
    if proc.returncode is not None:
        return 0.0
    proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    while True:
        pid, _status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = 0
            return usage.ru_utime + usage.ru_stime
        if time.monotonic() > deadline:
            proc.kill()
            _pid, _status, usage = os.wait4(proc.pid, 0)
            proc.returncode = -9
            return usage.ru_utime + usage.ru_stime
        time.sleep(0.005)


if __name__ == "__main__":
    sys.exit(main())
