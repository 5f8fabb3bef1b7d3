"""A local OpenAI-compatible server, so the real openai client path runs in tests offline.

It speaks just enough of the protocol: POST /v1/chat/completions (blocking, and SSE
streaming when the request has "stream": true) and GET /v1/models. Each test scripts
what the next requests get by pushing behaviours; when the script runs out the stub
answers with `default`. Every request is recorded, so a test can check the messages
sent and count the client's retries:

    with OpenAIStub() as stub:
        stub.push(Error(429), Reply("Two papers study this [1][2]."))
        ...  # point ChatOpenAI at stub.url
        assert len(stub.completions) == 2
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    """Answer with this text (word by word when the request streams)."""

    text: str


@dataclass(frozen=True)
class Error:
    """Answer with an HTTP error status and an OpenAI-style error body.

    retry_after_ms is sent as the `retry-after-ms` header, which the openai client
    honours instead of its own backoff, so retry tests stay fast (None: no header).
    """

    status: int
    message: str = "stub error"
    retry_after_ms: int | None = 10


@dataclass(frozen=True)
class Malformed:
    """Answer 200 with a body (or SSE data line) that is not JSON."""

    body: str = "<html>this is not JSON</html>"


@dataclass(frozen=True)
class Empty:
    """Answer 200 with no choices at all, or (choices=True) one choice with empty content."""

    choices: bool = False


@dataclass(frozen=True)
class Sleep:
    """Wait this many seconds, then behave as `then` (a client timeout usually comes first)."""

    seconds: float
    then: Behaviour = field(default_factory=lambda: Reply("late answer"))


@dataclass(frozen=True)
class Drop:
    """Close the connection without sending a response."""


Behaviour = Reply | Error | Malformed | Empty | Sleep | Drop


@dataclass(frozen=True)
class Request:
    """One request as the stub received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any  # the parsed JSON body, or None

    @property
    def messages(self) -> list[dict]:
        return (self.body or {}).get("messages", [])


class OpenAIStub:
    """A threaded HTTP server on 127.0.0.1 with a free port; start()/stop() or `with`."""

    def __init__(self, default: Behaviour = Reply("stub answer"), models=("stub-model",)):
        self.default = default
        self.models = list(models)
        self.requests: list[Request] = []
        self._script: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting -------------------------------------------------------------------
    def push(self, *behaviours: Behaviour) -> OpenAIStub:
        """Queue behaviours for the next chat-completion requests, in order."""
        with self._lock:
            self._script.extend(behaviours)
        return self

    def _next(self) -> Behaviour:
        with self._lock:
            return self._script.popleft() if self._script else self.default

    def _record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    @property
    def completions(self) -> list[Request]:
        """The chat-completion requests received, retries included."""
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    # -- lifecycle -------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "start the stub first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> OpenAIStub:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers that are sleeping
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> OpenAIStub:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _handler_for(stub: OpenAIStub) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        pass

    Handler.stub = stub
    return Handler


class _Handler(BaseHTTPRequestHandler):
    stub: OpenAIStub

    def log_message(self, format, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        self.stub._record(Request("GET", self.path, self._headers(), None))
        if self.path.rstrip("/").endswith("/models"):
            data = [{"id": m, "object": "model", "owned_by": "stub"} for m in self.stub.models]
            self._send_json(200, {"object": "list", "data": data})
        else:
            self._send_json(404, _error_body("no such route", 404))

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        self.stub._record(Request("POST", self.path, self._headers(), body))
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send_json(404, _error_body("no such route", 404))
            return
        # BrokenPipe/ConnectionReset: the client gave up (a timeout test); nothing to answer.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._behave(self.stub._next(), body or {})

    def _behave(self, behaviour: Behaviour, body: dict) -> None:
        model = body.get("model", "stub-model")
        streaming = bool(body.get("stream"))
        match behaviour:
            case Sleep(seconds, then):
                if not self.stub._stopping.wait(seconds):
                    self._behave(then, body)
            case Drop():
                self.close_connection = True
            case Error(status, message, retry_after_ms):
                headers = {} if retry_after_ms is None else {"retry-after-ms": str(retry_after_ms)}
                self._send_json(status, _error_body(message, status), headers)
            case Malformed(text) if streaming:
                self._send_sse([text])
            case Malformed(text):
                self._send_raw(200, text.encode(), "application/json")
            case Empty(choices) if streaming:
                pieces = [_chunk(model, {"role": "assistant", "content": ""})] if choices else []
                self._send_sse([json.dumps(p) for p in pieces])
            case Empty(choices):
                message = {"role": "assistant", "content": ""}
                self._send_json(200, _completion(model, message) if choices else _no_choices(model))
            case Reply(text) if streaming:
                words = re.findall(r"\S+\s*|\s+", text)
                deltas = [{"role": "assistant", "content": ""}] + [{"content": w} for w in words]
                chunks = [_chunk(model, d) for d in deltas] + [_chunk(model, {}, "stop")]
                self._send_sse([json.dumps(c) for c in chunks])
            case Reply(text):
                self._send_json(200, _completion(model, {"role": "assistant", "content": text}))

    def _headers(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.headers.items()}

    def _send_json(self, status: int, payload: dict, headers: dict | None = None) -> None:
        self._send_raw(status, json.dumps(payload).encode(), "application/json", headers)

    def _send_raw(self, status: int, data: bytes, content_type: str, headers=None) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_sse(self, datas: list[str]) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.end_headers()  # HTTP/1.0: the body ends when the connection closes
        for data in [*datas, "[DONE]"]:
            self.wfile.write(f"data: {data}\n\n".encode())
            self.wfile.flush()


def _error_body(message: str, status: int) -> dict:
    kinds = {401: "invalid_api_key", 404: "model_not_found", 429: "rate_limit_exceeded"}
    return {"error": {"message": message, "type": "stub_error", "code": kinds.get(status)}}


def _envelope(model: str, kind: str) -> dict:
    return {"id": "chatcmpl-stub", "object": kind, "created": int(time.time()), "model": model}


def _completion(model: str, message: dict) -> dict:
    choice = {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
    usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    return _envelope(model, "chat.completion") | {"choices": [choice], "usage": usage}


def _no_choices(model: str) -> dict:
    return _envelope(model, "chat.completion") | {"choices": []}


def _chunk(model: str, delta: dict, finish_reason: str | None = None) -> dict:
    choice = {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
    return _envelope(model, "chat.completion.chunk") | {"choices": [choice]}
