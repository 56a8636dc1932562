"""A small registry of public evaluation sets and corpora: where they live, download, verify, cache.

Nothing here is committed to the repository: `cbow datasets fetch NAME` downloads into a
cache directory ($CBOW_DATA, else $XDG_CACHE_HOME/cbow/datasets, else
~/.cache/cbow/datasets) with a progress bar, through a temporary file that is renamed
into place only when complete and verified, so a dropped connection or a checksum
mismatch leaves no partial file.

Checksums: a sha256 is shipped only where it could be verified from a package registry:
the three files gensim 4.4.0 bundles in its wheel (gensim/test/test_data), whose URLs
point at the same files in gensim's 4.4.0 tag. For the others, the first download's
sha256 is shown and pinned in `pins.json` in the cache; later downloads must match it.
When gensim is installed, its bundled copies are found (and copied, no network needed).
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import importlib.util
import json
import logging
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cbow.errors import CbowError

logger = logging.getLogger(__name__)

GENSIM_RAW = "https://raw.githubusercontent.com/piskvorky/gensim/4.4.0/gensim/test/test_data/"
FARUQUI_RAW = "https://raw.githubusercontent.com/mfaruqui/eval-word-vectors/master/data/word-sim/"


class DownloadError(CbowError):
    """A download failed, was cut short or did not match its checksum."""


@dataclass(frozen=True)
class Dataset:
    """One downloadable file.

    name : registry key (`cbow datasets fetch NAME`)
    url : public address
    filename : name in the cache
    kind : 'analogies', 'pairs' or 'corpus'
    description : one line for `cbow datasets list`
    sha256 : hex digest of the final file, shipped only when verified from a package registry
    gensim_file : name of the same file in gensim/test/test_data, if gensim bundles it
    archive_member : for a .zip download, the member extracted as the final file
    """

    name: str
    url: str
    filename: str
    kind: str
    description: str
    sha256: str | None = None
    gensim_file: str | None = None
    archive_member: str | None = None


REGISTRY: dict[str, Dataset] = {d.name: d for d in [
    Dataset("questions-words", GENSIM_RAW + "questions-words.txt", "questions-words.txt", "analogies",
            "Google analogy set, 19,544 questions in 14 sections (Mikolov et al. 2013)",
            sha256="8c29b3332afc46f3fb8be04cb5297bf96f39aa7131272dff57869b4485b22a36",
            gensim_file="questions-words.txt"),
    Dataset("wordsim353", GENSIM_RAW + "wordsim353.tsv", "wordsim353.tsv", "pairs",
            "WordSim-353 relatedness, 353 pairs (Finkelstein et al. 2002)",
            sha256="f92a022fc2537793a15bc3a8c162ebcd74990e033a228bb6388cb71e4c0b1e1d",
            gensim_file="wordsim353.tsv"),
    Dataset("simlex999", GENSIM_RAW + "simlex999.txt", "simlex999.txt", "pairs",
            "SimLex-999 similarity, 999 pairs (Hill et al. 2015)",
            sha256="d5e0501971478a511430ee880bd0121e94ac701ba86d90544d83e6d2ba3db05d",
            gensim_file="simlex999.txt"),
    Dataset("men", FARUQUI_RAW + "EN-MEN-TR-3k.txt", "men3000.txt", "pairs",
            "MEN relatedness, 3,000 pairs (Bruni et al. 2014), natural form"),
    Dataset("mturk771", FARUQUI_RAW + "EN-MTurk-771.txt", "mturk771.txt", "pairs",
            "MTurk-771 relatedness, 771 pairs (Halawi et al. 2012)"),
    Dataset("simverb3500", FARUQUI_RAW + "EN-SimVerb-3500.txt", "simverb3500.txt", "pairs",
            "SimVerb-3500 verb similarity, 3,500 pairs (Gerz et al. 2016)"),
    Dataset("text8", "http://mattmahoney.net/dc/text8.zip", "text8", "corpus",
            "text8: first 10^8 bytes of cleaned English Wikipedia (Mahoney), one line, 17M words",
            archive_member="text8"),
]}


def cache_dir() -> Path:
    """$CBOW_DATA, else $XDG_CACHE_HOME/cbow/datasets, else ~/.cache/cbow/datasets."""
    if os.environ.get("CBOW_DATA"):
        return Path(os.environ["CBOW_DATA"])
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "cbow" / "datasets"


def get(name: str) -> Dataset:
    """The registry entry `name`, or a one-line error listing the known names."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise CbowError(f"unknown dataset {name!r}; known: {', '.join(REGISTRY)}") from None


def gensim_copy(dataset: Dataset) -> Path | None:
    """gensim's bundled copy of the file, when gensim is installed and bundles it."""
    if dataset.gensim_file is None:
        return None
    try:
        spec = importlib.util.find_spec("gensim")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "test" / "test_data" / dataset.gensim_file
        if candidate.is_file():
            return candidate
    return None


def locate(name: str, cache: Path | None = None) -> Path | None:
    """Where dataset `name` is already available: the cache, else gensim's copy, else None."""
    dataset = get(name)
    cached = (cache or cache_dir()) / dataset.filename
    return cached if cached.is_file() else gensim_copy(dataset)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pins_path(cache: Path) -> Path:
    return cache / "pins.json"


def read_pins(cache: Path) -> dict[str, str]:
    """name -> sha256 pinned by first downloads (empty when none or unreadable)."""
    try:
        pins = json.loads(_pins_path(cache).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return pins if isinstance(pins, dict) else {}


def _write_pin(cache: Path, name: str, digest: str) -> None:
    pins = read_pins(cache)
    pins[name] = digest
    fd, tmp_name = tempfile.mkstemp(prefix=".pins.", suffix=".tmp", dir=cache)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(pins, handle, indent=1, sort_keys=True)
    os.replace(tmp_name, _pins_path(cache))


@dataclass
class FetchResult:
    """What `fetch` did: the file, its sha256, where it came from, whether the sha was just pinned."""

    path: Path
    sha256: str
    source: str  # 'cache', 'gensim' or the URL
    pinned_now: bool = False


def fetch(dataset: Dataset | str, cache: Path | None = None, force: bool = False, progress: bool = False,
          timeout: float = 60.0) -> FetchResult:
    """Make `dataset` available in the cache and return where it is.

    A cached file is reused unless `force`. Otherwise gensim's bundled copy is copied when
    it matches the shipped checksum, else the URL is downloaded to a temporary file,
    verified (shipped sha256, else the pin of the first download, else pinned now) and
    renamed into place. Any failure removes the temporary file and raises DownloadError.
    """
    dataset = get(dataset) if isinstance(dataset, str) else dataset
    cache = cache or cache_dir()
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"{cache}: cannot create the cache directory ({exc.strerror}); set CBOW_DATA") from None
    target = cache / dataset.filename
    if target.is_file() and not force:
        return FetchResult(target, sha256_of(target), "cache")
    expected = dataset.sha256 or read_pins(cache).get(dataset.name)
    bundled = gensim_copy(dataset)
    if bundled is not None and (expected is None or sha256_of(bundled) == expected):
        return FetchResult(_install(bundled, target, copy=True), sha256_of(target), "gensim")
    staging = Path(tempfile.mkdtemp(prefix=f".{dataset.filename}.", suffix=".tmp", dir=cache))
    try:
        downloaded = _download(dataset.url, staging / "download", progress, timeout, dataset.name)
        final = _extract(downloaded, dataset) if dataset.archive_member else downloaded
        digest = sha256_of(final)
        if expected is not None and digest != expected:
            source = "shipped with cbow" if dataset.sha256 else f"pinned in {_pins_path(cache)}"
            raise DownloadError(f"{dataset.name}: sha256 {digest} does not match {expected} ({source}); "
                                "the download is corrupt or the file changed upstream; nothing was saved")
        _install(final, target, copy=False)
        pinned_now = expected is None
        if pinned_now:
            _write_pin(cache, dataset.name, digest)
        return FetchResult(target, digest, dataset.url, pinned_now)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _install(source: Path, target: Path, copy: bool) -> Path:
    """Copy or move `source` to `target` atomically (temp file beside it, then os.replace)."""
    if copy:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        try:
            shutil.copyfile(source, tmp_name)
            os.replace(tmp_name, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise
    else:
        os.replace(source, target)
    return target


def _download(url: str, destination: Path, progress: bool, timeout: float, label: str) -> Path:
    """Stream `url` into `destination`; raise DownloadError if it fails or ends short."""
    from tqdm import tqdm

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (registry URLs)
            length = response.headers.get("Content-Length")
            expected_bytes = int(length) if length and length.isdigit() else None
            received = 0
            with open(destination, "wb") as handle, tqdm(
                total=expected_bytes, unit="B", unit_scale=True, desc=label,
                disable=not progress, leave=False,
            ) as bar:
                while True:
                    block = response.read(1 << 16)
                    if not block:
                        break
                    handle.write(block)
                    received += len(block)
                    bar.update(len(block))
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}; check the URL or try later") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc.__class__.__name__
        raise DownloadError(f"{url}: download failed ({reason}); nothing was saved, try again") from None
    if expected_bytes is not None and received != expected_bytes:
        raise DownloadError(f"{url}: connection closed after {received:,} of {expected_bytes:,} bytes; "
                            "nothing was saved, try again")
    return destination


def _extract(archive: Path, dataset: Dataset) -> Path:
    """The member `dataset.archive_member` of a zip download, extracted beside it."""
    destination = archive.parent / "member"
    try:
        with zipfile.ZipFile(archive) as bundle, bundle.open(dataset.archive_member) as member, \
                open(destination, "wb") as handle:
            shutil.copyfileobj(member, handle, 1 << 20)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError) as exc:
        raise DownloadError(f"{dataset.url}: not a zip holding {dataset.archive_member!r} ({exc}); "
                            "nothing was saved") from None
    return destination


def resolve(path_or_name: str) -> str:
    """An existing path as is; else a registry name's local copy (cache or gensim), if any."""
    if Path(path_or_name).exists() or path_or_name not in REGISTRY:
        return path_or_name
    found = locate(path_or_name)
    if found is None:
        raise CbowError(f"dataset {path_or_name!r} is not downloaded yet; run: cbow datasets fetch {path_or_name}")
    return str(found)
