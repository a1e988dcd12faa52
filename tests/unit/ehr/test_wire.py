"""Truncated bodies on a real socket (``responses`` cannot cut a connection half-way through a body)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest

from hvol_fhir.ehr import BadResponse, FhirClient, OutcomeUnknown, RoundTripCounter

BODY = json.dumps({"resourceType": "Patient", "id": "p1", "name": [{"family": "Afgekapt"}]}).encode()


class CuttingServer:
    """Answers each connection from a script: ``"cut"`` sends half the body and closes, ``"ok"`` all of it."""

    def __init__(self, script: list[str]) -> None:
        self.script = list(script)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.requests = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.script:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, _, rest = data.partition(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                while len(rest) < length:
                    rest += conn.recv(65536)
                self.requests += 1
                mode = self.script.pop(0)
                body = BODY[: len(BODY) // 2] if mode == "cut" else BODY
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\n"
                    b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(BODY) + body
                )

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def server_factory() -> Iterator[type[CuttingServer]]:
    made: list[CuttingServer] = []

    class Made(CuttingServer):
        def __init__(self, script: list[str]) -> None:
            super().__init__(script)
            made.append(self)

    yield Made
    for s in made:
        s.close()


def _client(port: int, counter: RoundTripCounter | None = None) -> FhirClient:
    return FhirClient(
        f"http://127.0.0.1:{port}/fhir", "t", sleep=lambda s: None, timeout=(2, 5), counter=counter
    )


def test_truncated_get_is_retried_then_read(server_factory: type[CuttingServer]) -> None:
    server = server_factory(["cut", "ok"])
    counter = RoundTripCounter()
    assert _client(server.port, counter).read("Patient", "p1")["name"][0]["family"] == "Afgekapt"
    assert server.requests == 2 and counter.total == 2


def test_always_truncated_get_is_a_bad_response(server_factory: type[CuttingServer]) -> None:
    server = server_factory(["cut", "cut", "cut"])
    with pytest.raises(BadResponse):
        _client(server.port).read("Patient", "p1")
    assert server.requests == 3


def test_truncated_answer_to_a_plain_post_is_outcome_unknown(server_factory: type[CuttingServer]) -> None:
    server = server_factory(["cut", "ok"])
    with pytest.raises(OutcomeUnknown):
        _client(server.port).create({"resourceType": "Patient"})
    assert server.requests == 1
