"""Tiny local HTTP servers for the "where does the API key go" tests.

``RecordingSink`` counts every TCP connection it accepts and records every request (method, path,
headers). A test points a redirect, or a URL that must be refused, at it and asserts that it
received nothing: not a request, not even a connection.

``Redirector`` answers every request with a fixed status and ``Location`` (e.g. 302 to the sink),
as a misconfigured or hostile server at ``bitmovin:apiUrl`` would.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, handler: type[BaseHTTPRequestHandler], owner: _Base) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.owner = owner

    def verify_request(self, request: Any, client_address: Any) -> bool:
        self.owner.connections += 1
        return True


@dataclass
class _Base:
    connections: int = 0
    requests: list[SeenRequest] = field(default_factory=list)
    _server: _Server | None = None
    _thread: threading.Thread | None = None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    def start(self) -> _Base:
        self._server = _Server(self._handler(), self)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> _Base:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _recording_handler(owner: _Base, status: int, headers: dict[str, str], body: bytes):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            owner.requests.append(SeenRequest(self.command, self.path, dict(self.headers.items())))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@dataclass
class RecordingSink(_Base):
    """Answers 200 ``{}`` to anything and records it; a test expects it to stay untouched."""

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _recording_handler(self, 200, {"Content-Type": "application/json"}, b"{}")


@dataclass
class Redirector(_Base):
    """Answers every request with ``status`` and ``Location: location``."""

    status: int = 302
    location: str = ""

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _recording_handler(self, self.status, {"Location": self.location}, b"")


__all__ = ["RecordingSink", "Redirector", "SeenRequest"]
