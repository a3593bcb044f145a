"""A loopback HTTP proxy for the sync tests that breaks the network on purpose.

Each client connection carries one request (the proxy answers with
``Connection: close``). For every request a ``plan(request) -> Fault`` decides:

- ``PASS``: forward to the server and stream the answer back (SSE included);
- ``DROP``: close the connection before the server sees anything;
- ``CUT``: forward, let the server finish (and commit), then close without answering;
- ``answer(status, headers)``: answer with an error body, the server never sees it;
- ``delay(seconds)``: wait, then forward.

``log`` keeps ``(method, path, fault kind)`` of every request, for assertions.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Fault:
    kind: str
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


PASS = Fault("pass")
DROP = Fault("drop")
CUT = Fault("cut")


def answer(status: int, headers: dict[str, str] | None = None) -> Fault:
    return Fault("answer", status=status, headers=headers or {})


def delay(seconds: float) -> Fault:
    return Fault("delay", seconds=seconds)


Plan = Callable[[Request], Fault]


class FaultProxy:
    def __init__(self, upstream_port: int, plan: Plan | None = None) -> None:
        self.upstream_port = upstream_port
        self.plan: Plan = plan or (lambda request: PASS)
        self.log: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._stopped = threading.Event()
        self._clients: set[socket.socket] = set()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._stopped.set()
        _close(self._server)  # shutdown() wakes the blocked accept()
        with self._lock:
            for conn in list(self._clients):
                _close(conn)
        self._thread.join(5)

    def requests(
        self, path_prefix: str = "", kind: str | None = None
    ) -> list[tuple[str, str, str]]:
        with self._lock:
            return [
                r
                for r in self.log
                if r[1].startswith(path_prefix) and (kind is None or r[2] == kind)
            ]

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                self._clients.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            request = _read_request(conn)
            if request is None:
                return
            fault = self.plan(request)
            with self._lock:
                self.log.append((request.method, request.path.split("?")[0], fault.kind))
            if fault.kind == "drop":
                return
            if fault.kind == "answer":
                conn.sendall(_error_response(fault.status, fault.headers))
                return
            if fault.kind == "delay":
                self._stopped.wait(fault.seconds)
            self._forward(conn, request, cut=fault.kind == "cut")
        except OSError:
            pass
        finally:
            with self._lock:
                self._clients.discard(conn)
            _close(conn)

    def _forward(self, conn: socket.socket, request: Request, *, cut: bool) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30)
        with self._lock:
            self._clients.add(upstream)
        try:
            headers = {k: v for k, v in request.headers.items() if k.lower() != "connection"}
            headers["Connection"] = "close"
            headers["Content-Length"] = str(len(request.body))
            headers.pop("Transfer-Encoding", None)
            head = f"{request.method} {request.path} HTTP/1.1\r\n" + "".join(
                f"{k}: {v}\r\n" for k, v in headers.items()
            )
            upstream.sendall(head.encode("latin-1") + b"\r\n" + request.body)
            upstream.settimeout(None)
            while True:
                chunk = upstream.recv(65536)
                if not chunk:
                    return
                if not cut:
                    conn.sendall(chunk)
        finally:
            with self._lock:
                self._clients.discard(upstream)
            _close(upstream)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def _read_request(conn: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    lower = {k.lower(): v for k, v in headers.items()}
    if lower.get("transfer-encoding", "").lower() == "chunked":
        body = _read_chunked(conn, rest)
    else:
        length = int(lower.get("content-length", "0"))
        body = rest
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            body += chunk
    return Request(method=method, path=path, headers=headers, body=body)


def _read_chunked(conn: socket.socket, data: bytes) -> bytes:
    body = b""
    while True:
        while b"\r\n" not in data:
            data += conn.recv(65536)
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        while len(data) < size + 2:
            data += conn.recv(65536)
        body += data[:size]
        data = data[size + 2 :]
        if size == 0:
            return body


def _error_response(status: int, headers: dict[str, str]) -> bytes:
    codes = {429: "RATE_LIMIT_EXCEEDED", 500: "INTERNAL_ERROR", 502: "BAD_GATEWAY"}
    body = json.dumps(
        {"error": {"code": codes.get(status, "ERROR"), "message": f"injected {status}"}}
    ).encode()
    head = f"HTTP/1.1 {status} Injected\r\nContent-Type: application/json\r\n"
    head += f"Content-Length: {len(body)}\r\nConnection: close\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode() + b"\r\n" + body
