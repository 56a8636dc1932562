"""The HTTP side of `cbow explore`: the page's own static files and the JSON API, read-only.

The standard library's ThreadingHTTPServer (a thread per connection, HTTP/1.1 keep-alive)
is enough for one person's page and a few scripts: numpy's matrix products release the
GIL, so neighbour queries of several connections run at once. No server library is needed.

What is served, and nothing else:

    GET /                   static/index.html
    GET /static/NAME        a file of the package's static/ directory, read into memory at
                            start; names are looked up in that table, never joined to a path
    GET /api/...            cbow.explore.api (the files named on the command line, by id)

Every error, including the server's own (unknown method, request line too long, a bug),
is a JSON body {"error": {"code", "message"}}, never an HTML page or a traceback. Bound
to a loopback address (the default, 127.0.0.1), requests must name a loopback host in
their Host header, so a web page elsewhere cannot reach the vectors by DNS rebinding;
responses carry no CORS header, so other origins cannot read them either.
"""

from __future__ import annotations

import errno
import http.server
import ipaddress
import logging
import socket
import threading
import urllib.parse
from importlib import resources

from cbow.errors import CbowError
from cbow.explore.api import Api, Response, json_response
from cbow.explore.errors import RequestError
from cbow.explore.served import ServedFile

logger = logging.getLogger(__name__)

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml", ".png": "image/png", ".txt": "text/plain; charset=utf-8",
}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "[::1]", "::1"}
MAX_QUERY_FIELDS = 20
IDLE_SECONDS = 60  # a keep-alive connection silent this long is closed


def load_static() -> dict[str, tuple[bytes, str]]:
    """'/static/NAME' -> (content, content type) for every file the package ships in static/."""
    table = {}
    for entry in resources.files("cbow.explore").joinpath("static").iterdir():
        suffix = "." + entry.name.rsplit(".", 1)[-1] if "." in entry.name else ""
        if entry.is_file() and suffix in CONTENT_TYPES:
            table[f"/static/{entry.name}"] = (entry.read_bytes(), CONTENT_TYPES[suffix])
    table["/"] = table["/static/index.html"]
    return table


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost'."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cbow-explore"
    sys_version = ""
    timeout = IDLE_SECONDS

    def log_message(self, format: str, *args) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The base class's errors (bad request line, unknown method...) as JSON too."""
        text = message or self.responses.get(code, ("error",))[0]
        codes = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 414: "too_large",
                 431: "too_large", 501: "method_not_allowed"}
        self.close_connection = True
        if self.request_version == "HTTP/0.9":  # an unparsable request line: still answer with headers
            self.request_version = "HTTP/1.0"
        self._send(json_response({"error": {"code": codes.get(code, "bad_request"), "message": text}}, code))

    def _send(self, response: Response, cache: str = "no-store") -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", cache)
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        if response.status == 405:
            self.send_header("Allow", "GET, HEAD")
        self.end_headers()
        if self.command != "HEAD" and response.status >= 200 and response.status not in (204, 304):
            self.wfile.write(response.body)

    def _host_allowed(self) -> bool:
        explore: ExploreServer = self.server.explore  # type: ignore[attr-defined]
        if not explore.loopback:
            return True
        host = self.headers.get("Host")
        if host is None:
            return True  # HTTP/1.0 tools; a browser always sends Host
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return name.lower() in LOOPBACK_NAMES or is_loopback(name)

    def _answer(self) -> Response:
        explore: ExploreServer = self.server.explore  # type: ignore[attr-defined]
        if not self._host_allowed():
            return json_response(RequestError(403, "forbidden_host", "this server answers only requests to "
                                              f"{explore.url}; open that address").to_json(), 403)
        target = urllib.parse.urlsplit(self.path)
        if target.scheme or target.netloc or not target.path.startswith("/"):
            raise RequestError(400, "bad_request", "request paths start with '/'")
        if target.path.startswith("/api/"):
            try:
                query = urllib.parse.parse_qs(target.query, keep_blank_values=True, strict_parsing=False,
                                              max_num_fields=MAX_QUERY_FIELDS, errors="strict")
            except (ValueError, UnicodeDecodeError):
                raise RequestError(400, "bad_parameter", f"the query string is malformed or has more than "
                                                         f"{MAX_QUERY_FIELDS} fields; check the URL") from None
            return explore.api.handle(target.path, query)
        static = explore.static.get(target.path)
        if static is None:
            raise RequestError(404, "not_found", f"no page {target.path[:80]!r} here; open {explore.url}")
        return Response(200, static[1], static[0])

    def do_GET(self) -> None:
        try:
            response = self._answer()
        except RequestError as error:
            response = json_response(error.to_json(), error.status)
        except Exception:  # a bug of ours: logged with its traceback, and the page gets JSON
            logger.exception("cbow explore: error answering %s", self.path[:200])
            response = json_response({"error": {"code": "internal", "message": "internal error answering this "
                                                "request; the server's terminal shows the traceback"}}, 500)
        is_static = response.content_type.startswith(("text/html", "text/css", "text/javascript", "image/"))
        try:
            self._send(response, cache="no-cache" if is_static and response.status == 200 else "no-store")
        except (BrokenPipeError, ConnectionResetError):  # the page went away mid-answer
            self.close_connection = True

    do_HEAD = do_GET

    def _not_allowed(self) -> None:
        self.close_connection = True
        self._send(json_response({"error": {"code": "method_not_allowed", "message":
                                            f"{self.command} is not served; this server is read-only (GET)"}}, 405))

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


class _Server6(_Server):
    address_family = socket.AF_INET6


class ExploreServer:
    """One `cbow explore` session: the files, the API over them, and the listening socket.

    Parameters
    ----------
    files : the loaded files (cbow.explore.served.load_files)
    host : address to bind; 127.0.0.1 by default (see `loopback`)
    port : port to bind; 0 picks a free one

    Raises
    ------
    CbowError : the address cannot be bound (port in use, no such address)
    """

    def __init__(self, files: list[ServedFile], host: str = "127.0.0.1", port: int = 0) -> None:
        self.static = load_static()
        self.host = host
        self.loopback = is_loopback(host)
        server_class = _Server6 if ":" in host else _Server
        try:
            self.httpd = server_class((host.strip("[]"), port), _Handler)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise CbowError(f"port {port} is in use; choose another --port, or leave it out for a free "
                                "one") from None
            raise CbowError(f"cannot listen on {host}:{port} ({error.strerror or error}); check --host") from None
        self.httpd.explore = self  # type: ignore[attr-defined]
        self.api = Api(files)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        """The address to open: the bound host, or 127.0.0.1 when bound to every address."""
        host = self.host.strip("[]")
        if host in ("0.0.0.0", "", "::"):
            host = "127.0.0.1"
        return f"http://[{host}]:{self.port}/" if ":" in host else f"http://{host}:{self.port}/"

    def serve_forever(self) -> None:
        """Answer requests until `close()` (from another thread) or Ctrl-C."""
        self.httpd.serve_forever(poll_interval=0.2)

    def start(self) -> ExploreServer:
        """Serve from a background thread (scripts and tests that drive the page themselves)."""
        self._thread = threading.Thread(target=self.serve_forever, name="cbow-explore-server", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, close the socket, stop any map being computed."""
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join()
        self.httpd.server_close()
        self.api.close()

    def __enter__(self) -> ExploreServer:  # noqa: PYI034 (no typing_extensions dependency for Self)
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def describe(files: list[ServedFile]) -> str:
    """One line naming what is served, for the terminal."""
    return ", ".join(f"{served.name} ({served.n_words:,} words, dim {served.kv.vector_size})" for served in files)

