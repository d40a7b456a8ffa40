"""``matcalc serve``: the page and its JSON API on 127.0.0.1, from the standard library alone.

Routes: ``GET /`` the page (its state, ``?program=…&wrt=W&claim=…``, is read by the page
itself), ``GET /static/<file>`` the page's script, style and KaTeX (shipped in the wheel: no
network at run time), ``POST /api/analyze`` and ``POST /api/check`` (JSON in, JSON out; see
:mod:`matcalc.views.web.api`). The server binds the loopback address only and answers only
requests addressed to it by that name (so a web page elsewhere cannot reach it through DNS
rebinding); request bodies are capped.
"""
from __future__ import annotations

import json
import mimetypes
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from ...core.errors import MatcalcError
from . import api

STATIC = Path(__file__).resolve().parent / "static"
HOST = "127.0.0.1"
MAX_BODY = 256 * 1024
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".html": "text/html; charset=utf-8", ".woff2": "font/woff2", ".txt": "text/plain; charset=utf-8",
         ".png": "image/png", ".svg": "image/svg+xml"}


class Handler(BaseHTTPRequestHandler):
    server_version = "matcalc"
    quiet = True

    def log_message(self, format, *args):
        if not self.quiet:
            super().log_message(format, *args)

    # ------------------------------------------------------------ plumbing

    def _host_ok(self) -> bool:
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]").lower()
        return host in ("127.0.0.1", "localhost", "::1")

    def _send(self, status: int, body: bytes, content_type: str, cache: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=3600" if cache else "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy",
                         "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                         "font-src 'self'; connect-src 'self'; script-src 'self'")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: dict) -> None:
        self._send(status, json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

    def _refuse(self, status: int, message: str) -> None:
        self._json(status, {"error": {"field": "request", "text": f"error: {message}", "message": message}})

    # ------------------------------------------------------------ GET: the page and its files

    def do_GET(self):
        if not self._host_ok():
            return self._refuse(HTTPStatus.FORBIDDEN, "this server answers requests to 127.0.0.1 only")
        path = urlsplit(self.path).path
        if path in ("/", "/index.html"):
            return self._file(STATIC / "index.html")
        if path.startswith("/static/"):
            target = (STATIC / path[len("/static/"):]).resolve()
            if STATIC in target.parents and target.is_file():
                return self._file(target, cache=True)
        if path == "/favicon.ico":
            return self._send(HTTPStatus.NO_CONTENT, b"", "text/plain")
        return self._refuse(HTTPStatus.NOT_FOUND, f"no page {path}")

    do_HEAD = do_GET

    def _file(self, path: Path, cache: bool = False) -> None:
        kind = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self._send(HTTPStatus.OK, path.read_bytes(), kind, cache)

    # ------------------------------------------------------------ POST: the API

    def do_POST(self):
        if not self._host_ok():
            return self._refuse(HTTPStatus.FORBIDDEN, "this server answers requests to 127.0.0.1 only")
        route = {"/api/analyze": _analyze, "/api/check": _check}.get(urlsplit(self.path).path)
        if route is None:
            return self._refuse(HTTPStatus.NOT_FOUND, f"no API {self.path}")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            return self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"requests are limited to {MAX_BODY:,} bytes")
        try:
            fields = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return self._refuse(HTTPStatus.BAD_REQUEST, "the request is not JSON")
        if not isinstance(fields, dict):
            return self._refuse(HTTPStatus.BAD_REQUEST, "the request is not a JSON object")
        try:
            answer = route(fields)
        except MatcalcError as error:  # the API functions return their errors; this is a backstop
            answer = api.error_json(error)
        except RecursionError:
            answer = api.error_json(MatcalcError("the input is nested too deeply for matcalc"))
        self._json(HTTPStatus.OK, answer)


def _analyze(fields: dict) -> dict:
    return api.analyze(fields.get("program", ""), fields.get("wrt"), with_graph=fields.get("graph", True) is not False)


def _check(fields: dict) -> dict:
    return api.check(fields.get("program", ""), fields.get("wrt", ""), fields.get("claim", ""))


def make_server(port: int = 8000, quiet: bool = True) -> ThreadingHTTPServer:
    """A server bound to 127.0.0.1:port (0: a free port; read it from ``server.server_address``)."""
    handler = type("MatcalcHandler", (Handler,), {"quiet": quiet})
    try:
        server = ThreadingHTTPServer((HOST, port), handler)
    except OSError as error:
        raise MatcalcError(f"cannot listen on {HOST}:{port}: {error.strerror}",
                           hint="choose another port with --port N (--port 0 picks a free one)") from None
    server.daemon_threads = True
    return server


def url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}/"


def serve_in_thread(port: int = 0) -> tuple[ThreadingHTTPServer, threading.Thread]:
    """Start a server in a daemon thread (for tests and notebooks); stop it with ``server.shutdown()``."""
    server = make_server(port)
    thread = threading.Thread(target=server.serve_forever, name="matcalc-serve", daemon=True)
    thread.start()
    return server, thread
