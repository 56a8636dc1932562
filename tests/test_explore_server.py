"""cbow explore over real HTTP: only its own files, JSON errors for everything, the loopback guard, the command."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
from fnmatch import fnmatch
from pathlib import Path

import numpy as np
import pytest
import tomllib

from cbow.explore import server as server_module
from cbow.explore.served import load_files
from cbow.explore.server import ExploreServer, load_static
from cbow.vectors import formats

STATIC = Path(server_module.__file__).with_name("static")


@pytest.fixture(scope="module")
def vectors(tmp_path_factory):
    path = tmp_path_factory.mktemp("explore-http") / "v.txt"
    rng = np.random.default_rng(0)
    words = ["paris", "france", "rome", "italy", "king", "queen", "man", "woman"] + [f"w{i}" for i in range(40)]
    formats.save_word2vec_format(path, words, rng.standard_normal((len(words), 8)).astype(np.float32))
    return path


@pytest.fixture(scope="module")
def served(vectors):
    with ExploreServer(load_files([vectors])).start() as running:
        yield running


def raw_request(server, request: bytes) -> tuple[int, dict, bytes]:
    """Send bytes as they are (no client-side normalising of the path) and read the answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(request)
        data = b""
        while chunk := connection.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def get(server, path: str, method: str = "GET", headers: dict | None = None):
    request = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nConnection: close\r\n"
    for name, value in (headers or {}).items():
        request += f"{name}: {value}\r\n"
    return raw_request(server, (request + "\r\n").encode("latin-1"))


def assert_json_error(status, headers, body, expected_status, code=None):
    assert status == expected_status
    assert headers["content-type"].startswith("application/json")
    error = json.loads(body)["error"]
    assert error["message"] and b"Traceback" not in body and b"<html" not in body.lower()
    if code:
        assert error["code"] == code
    return error


def test_the_page_and_its_static_files(served):
    status, headers, body = get(served, "/")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8" and b"/static/app.js" in body
    for name in sorted(p.name for p in STATIC.iterdir()):
        status, headers, body = get(served, f"/static/{name}")
        assert status == 200 and body == (STATIC / name).read_bytes(), name
    assert headers["x-content-type-options"] == "nosniff" and "default-src 'self'" in headers["content-security-policy"]
    assert "access-control-allow-origin" not in headers


def test_the_page_references_only_its_own_files():
    """No CDN: every src/href and module import names a file the package ships."""
    import re

    shipped = {p.name for p in STATIC.iterdir()}
    for path in STATIC.iterdir():
        text = path.read_text(encoding="utf-8")
        for reference in re.findall(r'(?:src|href)="([^"#]+)"|from "\./([^"]+)"', text):
            name = next(part for part in reference if part)
            assert "//" not in name and name.replace("/static/", "") in shipped, (path.name, name)


@pytest.mark.parametrize("path", [
    "/static/../server.py", "/static/%2e%2e/server.py", "/static/..%2fserver.py", "/../../../../etc/passwd",
    "//etc/passwd", "/static//etc/passwd", "/static/index.html/../../api.py", "/static/%2e%2e%2f%2e%2e%2fapi.py",
    "/static/.%00./server.py", "/etc/passwd", "/static/", "/static", "/api", "/server.py", "/static/\\..\\server.py",
])
def test_no_path_reaches_a_file_outside_the_page(served, path):
    status, headers, body = get(served, path)
    assert_json_error(status, headers, body, 404)
    assert b"import" not in body and b"root:" not in body


def test_an_absolute_url_in_the_request_line_is_refused(served):
    status, headers, body = get(served, "http://example.com/static/app.js")
    assert_json_error(status, headers, body, 400, "bad_request")


def test_other_methods_are_json_errors(served):
    for method in ("POST", "PUT", "DELETE", "OPTIONS"):
        status, headers, body = get(served, "/api/files", method=method)
        assert_json_error(status, headers, body, 405, "method_not_allowed")
        assert headers["allow"] == "GET, HEAD"
    status, headers, body = get(served, "/api/files", method="BREW")
    assert_json_error(status, headers, body, 501)


def test_malformed_requests_are_json_errors(served):
    status, headers, body = raw_request(served, b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n")
    assert_json_error(status, headers, body, 414)
    status, headers, body = raw_request(served, b"NONSENSE\r\n\r\n")
    assert_json_error(status, headers, body, 400)
    status, headers, body = get(served, "/api/neighbours?" + "&".join(f"p{i}=1" for i in range(50)))
    assert_json_error(status, headers, body, 400, "bad_parameter")
    status, headers, body = get(served, "/api/neighbours?word=%ff%fe")
    assert_json_error(status, headers, body, 400, "bad_parameter")


def test_the_api_over_http(served):
    status, headers, body = get(served, "/api/neighbours?word=paris&topn=3")
    assert status == 200 and headers["cache-control"] == "no-store"
    assert len(json.loads(body)["neighbours"]) == 3
    status, headers, body = get(served, "/api/map.bin?n=all")
    assert status == 200 and headers["content-type"] == "application/octet-stream" and len(body) == 48 * 2 * 4
    status, headers, body = get(served, "/api/neighbours?word=paris", method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0


def test_keep_alive_serves_many_requests_on_one_connection(served):
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    for word in ("paris", "rome", "king", "nope"):
        connection.request("GET", f"/api/neighbours?word={word}&topn=2")
        response = connection.getresponse()
        assert response.status in (200, 404) and json.loads(response.read())
    connection.close()


def test_a_bug_answers_json_without_its_traceback(served, monkeypatch):
    def broken(params):
        raise RuntimeError("secret internals")

    monkeypatch.setitem(served.api.routes, "/api/files", ((), broken))
    status, headers, body = get(served, "/api/files")
    error = assert_json_error(status, headers, body, 500, "internal")
    assert b"secret internals" not in body and "terminal" in error["message"]


def test_the_loopback_guard_refuses_other_host_names(served):
    request = f"GET /api/files HTTP/1.1\r\nHost: evil.example:{served.port}\r\nConnection: close\r\n\r\n".encode()
    status, headers, body = raw_request(served, request)
    assert_json_error(status, headers, body, 403, "forbidden_host")
    for host in (f"localhost:{served.port}", f"127.0.0.1:{served.port}", f"[::1]:{served.port}"):
        request = f"GET /api/files HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
        assert raw_request(served, request)[0] == 200, host


def test_every_static_file_is_declared_package_data():
    """`pip install .` (not editable) must ship the page: each file matches a package-data glob."""
    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    globs = project["tool"]["setuptools"]["package-data"]["cbow.explore"]
    assert "cbow.explore" in project["tool"]["setuptools"]["packages"]
    for path in STATIC.iterdir():
        assert any(fnmatch(f"static/{path.name}", pattern) for pattern in globs), path.name
    assert set(load_static()) == {f"/static/{p.name}" for p in STATIC.iterdir()} | {"/"}


def start_cli(*argv, env=None):
    return subprocess.Popen([sys.executable, "-m", "cbow", "explore", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})


def test_the_command_prints_its_url_serves_and_stops_on_sigterm(vectors):
    process = start_cli(str(vectors))
    try:
        url = process.stdout.readline().strip()  # printed once the socket listens
        assert url.startswith("http://127.0.0.1:") and url.endswith("/")
        host, port = url[len("http://"):-1].split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request("GET", "/api/files")
        assert json.loads(connection.getresponse().read())["files"][0]["words"] == 48
        connection.close()
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "cbow explore: serving v.txt (48 words, dim 8)" in stderr and "cbow explore: stopped" in stderr


def test_another_host_is_warned(vectors, monkeypatch, capsys):
    from cbow.cli import main

    def interrupted(self):
        raise KeyboardInterrupt  # as Ctrl-C right after start

    monkeypatch.setattr(ExploreServer, "serve_forever", interrupted)
    assert main(["explore", str(vectors), "--host", "0.0.0.0"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("http://127.0.0.1:") and "cbow explore: stopped" in captured.err
    assert "cbow explore: warning: listening on 0.0.0.0:" in captured.err and "anyone who can reach" in captured.err
    assert main(["explore", str(vectors)]) == 0
    assert "warning" not in capsys.readouterr().err


def test_open_starts_the_browser_on_the_printed_address(vectors, monkeypatch, capsys):
    import threading
    import webbrowser

    from cbow.cli import main

    opened, asked = [], threading.Event()

    def record(url):
        opened.append(url)
        asked.set()

    def interrupted(self):
        assert asked.wait(30)  # the browser is started while the server serves
        raise KeyboardInterrupt

    monkeypatch.setattr(webbrowser, "open", record)
    monkeypatch.setattr(ExploreServer, "serve_forever", interrupted)
    assert main(["explore", str(vectors), "--open"]) == 0
    assert opened == [capsys.readouterr().out.strip()]


def test_command_errors_are_one_line(vectors, tmp_path, capsys):
    from cbow.cli import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["explore", str(vectors), "--port", str(port)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (f"cbow explore: error: port {port} is in use; choose another --port, or leave it out "
                            "for a free one\n")
    assert main(["explore", str(tmp_path / "missing.bin")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("cbow explore: error: ") and "missing.bin" in err
    with pytest.raises(SystemExit) as stop:
        main(["explore", str(vectors), "--port", "70000"])
    assert stop.value.code == 2 and "must lie in 0..65535" in capsys.readouterr().err
