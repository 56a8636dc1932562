"""`cbow datasets`: downloads from a local HTTP server (127.0.0.1 only), checksums, no partial files."""

import hashlib
import http.server
import io
import threading
import zipfile

import pytest

from cbow.vectors import datasets
from cbow.cli import main
from cbow.vectors.datasets import Dataset, DownloadError

GOOD = b"sun\tsunlight\t50.0\nriver\twater\t49.0\n" * 50


def zipped(member: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr(member, content)
    return buffer.getvalue()


@pytest.fixture
def server():
    """A local server; `served` maps paths to bytes, '/drop' announces more than it sends."""
    served = {"/good.txt": GOOD, "/changing.txt": GOOD, "/corpus.zip": zipped("text8", b" anarchism originated")}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            if self.path == "/drop.txt":
                self.send_response(200)
                self.send_header("Content-Length", str(len(GOOD)))
                self.end_headers()
                self.wfile.write(GOOD[: len(GOOD) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            if self.path not in served:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(served[self.path])))
            self.end_headers()
            self.wfile.write(served[self.path])

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", served
    httpd.shutdown()
    httpd.server_close()


def entry(url, path, sha256=None, **extra):
    return Dataset("test-set", url + path, "test-set.txt", "pairs", "a test file", sha256=sha256, **extra)


def test_good_file_with_shipped_checksum(server, tmp_path):
    url, _ = server
    result = datasets.fetch(entry(url, "/good.txt", hashlib.sha256(GOOD).hexdigest()), cache=tmp_path)
    assert result.path.read_bytes() == GOOD and not result.pinned_now
    assert sorted(p.name for p in tmp_path.iterdir()) == ["test-set.txt"]


def test_checksum_mismatch_saves_nothing(server, tmp_path):
    url, _ = server
    with pytest.raises(DownloadError, match="does not match"):
        datasets.fetch(entry(url, "/good.txt", "0" * 64), cache=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_connection_dropped_halfway_saves_nothing(server, tmp_path):
    url, _ = server
    with pytest.raises(DownloadError, match=r"test-set|127\.0\.0\.1") as error:
        datasets.fetch(entry(url, "/drop.txt"), cache=tmp_path)
    assert "\n" not in str(error.value)
    assert list(tmp_path.iterdir()) == []


def test_first_download_is_pinned_and_later_ones_must_match(server, tmp_path):
    url, served = server
    dataset = entry(url, "/changing.txt")
    first = datasets.fetch(dataset, cache=tmp_path)
    assert first.pinned_now and datasets.read_pins(tmp_path) == {"test-set": hashlib.sha256(GOOD).hexdigest()}
    assert datasets.fetch(dataset, cache=tmp_path).source == "cache"
    served["/changing.txt"] = GOOD + b"tampered\t1\t2\n"
    with pytest.raises(DownloadError, match="pinned in"):
        datasets.fetch(dataset, cache=tmp_path, force=True)
    assert (tmp_path / "test-set.txt").read_bytes() == GOOD  # the verified copy is untouched


def test_zip_member_is_extracted(server, tmp_path):
    url, _ = server
    dataset = Dataset("corpus", url + "/corpus.zip", "text8", "corpus", "zipped", archive_member="text8")
    assert datasets.fetch(dataset, cache=tmp_path).path.read_bytes() == b" anarchism originated"


def test_gensim_bundled_files_match_shipped_checksums(tmp_path):
    for name in ["questions-words", "wordsim353", "simlex999"]:
        result = datasets.fetch(name, cache=tmp_path)  # no network: copied from gensim's wheel
        assert result.source == "gensim" and result.sha256 == datasets.REGISTRY[name].sha256


def test_cli_list_fetch_path(tmp_path, capsys):
    cache = str(tmp_path / "cache")
    assert main(["datasets", "fetch", "wordsim353", "--cache-dir", cache, "-q"]) == 0
    assert main(["datasets", "path", "wordsim353", "--cache-dir", cache]) == 0
    assert main(["datasets", "list", "--cache-dir", cache]) == 0
    out = capsys.readouterr().out
    assert "wordsim353\tpairs\tcached\tsha256 shipped" in out and "text8\tcorpus" in out
    header = out.splitlines()[out.splitlines().index(f"# cache: {cache}") + 1]
    assert header == "# name\tkind\tstatus\tchecksum\tdescription\turl"  # one title per column
    assert all(len(line.split("\t")) == len(header.split("\t")) for line in out.splitlines() if "\tcorpus\t" in line)
    assert main(["datasets", "fetch", "nonesuch", "--cache-dir", cache]) == 2
    assert "unknown dataset 'nonesuch'" in capsys.readouterr().err
