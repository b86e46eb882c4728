"""A real HTTP server on 127.0.0.1 that answers webhook POSTs from a script and records each request."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    json: dict
    at: float


class RecordingServer:
    """Answers POSTs from a script (the last answer repeats) and records each request."""

    def __init__(self) -> None:
        self.script: list[Answer] = []
        self.seen: list[Seen] = []
        self.default: Answer = Answer()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                parts = urlsplit(self.path)
                server.seen.append(
                    Seen(parts.path, parse_qs(parts.query), dict(self.headers), body, time.monotonic())
                )
                answer = server.script.pop(0) if server.script else server.default
                if callable(answer):
                    answer = answer(len(server.seen))
                self.send_response(answer.status)
                for k, v in answer.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"


def json_answer(data: dict, status: int = 200, **headers: str) -> Answer:
    return Answer(status, json.dumps(data).encode(), {"Content-Type": "application/json", **headers})


def discord_ids(n: int) -> Answer:
    """Discord's answer to `?wait=true`: the created message, numbered by the request's order."""
    return json_answer({"id": str(1000 + n), "channel_id": "1"})


@contextmanager
def recording_server() -> Iterator[RecordingServer]:
    srv = RecordingServer()
    srv.thread.start()
    try:
        yield srv
    finally:
        srv.httpd.shutdown()
        srv.httpd.server_close()
