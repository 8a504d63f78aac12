"""Tests for d2lmini.corpora, against a real HTTP server on loopback."""

import dataclasses
import hashlib
import http.server
import os
import pathlib
import re
import socket
import threading
import warnings

import pytest

from d2lmini import corpora

PAYLOAD = "Time travel, synthetic edition.\n" * 100
PAYLOAD_BYTES = PAYLOAD.encode("utf-8")
PAYLOAD_SHA1 = hashlib.sha1(PAYLOAD_BYTES).hexdigest()
# The checked copies of the corpora, if this run has them (make sets D2LMINI_DATA; see the Makefile)
SHARED = pathlib.Path(os.environ[corpora.ENV_DATA]) if os.environ.get(corpora.ENV_DATA) else None


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.routes[path] = (body, content_length)``; counts requests."""

    def do_GET(self):
        self.server.requests.append(self.path)
        if self.path not in self.server.routes:
            self.send_error(404)
            return
        body, length = self.server.routes[self.path]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True  # a short body then EOF = interrupted transfer

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.routes, srv.requests = {}, []
    srv.url = lambda path: f"http://127.0.0.1:{srv.server_address[1]}{path}"
    thread = threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache directory; no local data directory; short timeouts."""
    d = tmp_path / "cache"
    monkeypatch.setenv(corpora.ENV_CACHE, str(d))
    monkeypatch.delenv(corpora.ENV_DATA, raising=False)
    monkeypatch.setattr(corpora, "DOWNLOAD_TIMEOUT", 5)
    return d


def use_corpus(monkeypatch, url, sha1=PAYLOAD_SHA1):
    """Register a synthetic corpus 'toy' served from ``url``."""
    toy = corpora.Corpus("toy", "toy.txt", url, sha1, "synthetic test corpus")
    monkeypatch.setitem(corpora.CORPORA, "toy", toy)
    return toy


def listing(d):
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


def test_download_success(server, cache, monkeypatch):
    server.routes["/toy.txt"] = (PAYLOAD_BYTES, None)
    use_corpus(monkeypatch, server.url("/toy.txt"))
    path = corpora.corpus_path("toy")
    assert path == cache / "toy.txt"
    assert path.read_bytes() == PAYLOAD_BYTES
    assert corpora.sha1sum(path) == PAYLOAD_SHA1
    assert listing(cache) == ["toy.txt"]  # no temp files left behind
    assert corpora.read_corpus("toy") == PAYLOAD


def test_sha1_mismatch_leaves_nothing(server, cache, monkeypatch):
    server.routes["/toy.txt"] = (b"not the expected content", None)
    url = server.url("/toy.txt")
    use_corpus(monkeypatch, url)
    with pytest.raises(ValueError) as info:
        corpora.corpus_path("toy")
    msg = str(info.value)
    assert url in msg and PAYLOAD_SHA1 in msg
    assert hashlib.sha1(b"not the expected content").hexdigest() in msg
    assert listing(cache) == []


def test_download_function_keeps_dest_on_failure(server, tmp_path):
    server.routes["/bad"] = (b"bad", None)
    dest = tmp_path / "dest.txt"
    dest.write_text("old")
    with pytest.raises(ValueError):
        corpora.download(server.url("/bad"), dest, PAYLOAD_SHA1, timeout=5)
    assert dest.read_text() == "old"
    assert listing(tmp_path) == ["dest.txt"]


def test_interrupted_transfer(server, cache, monkeypatch):
    server.routes["/toy.txt"] = (PAYLOAD_BYTES[:100], len(PAYLOAD_BYTES))
    url = server.url("/toy.txt")
    use_corpus(monkeypatch, url)
    with pytest.raises(corpora.CorpusUnavailableError) as info:
        corpora.corpus_path("toy")
    msg = str(info.value)
    assert f"got 100 of {len(PAYLOAD_BYTES)} bytes" in msg
    assert url in msg and str(cache) in msg
    assert listing(cache) == []  # neither dest nor a temp file


def test_server_down(cache, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/toy.txt"
    use_corpus(monkeypatch, url)
    with pytest.raises(corpora.CorpusUnavailableError) as info:
        corpora.corpus_path("toy")
    msg = str(info.value)
    for part in ("'toy'", "toy.txt", url, str(cache), corpora.ENV_DATA):
        assert part in msg
    assert info.value.__cause__ is not None
    assert isinstance(info.value, OSError)
    assert listing(cache) == []


def test_corrupt_cache_is_replaced(server, cache, monkeypatch):
    server.routes["/toy.txt"] = (PAYLOAD_BYTES, None)
    use_corpus(monkeypatch, server.url("/toy.txt"))
    cache.mkdir()
    (cache / "toy.txt").write_bytes(b"corrupted")
    with pytest.warns(UserWarning, match="corrupt"):
        path = corpora.corpus_path("toy")
    assert path.read_bytes() == PAYLOAD_BYTES
    assert server.requests == ["/toy.txt"]


def test_good_cache_is_used_without_request(server, cache, monkeypatch):
    server.routes["/toy.txt"] = (b"server must not be asked", None)
    use_corpus(monkeypatch, server.url("/toy.txt"))
    cache.mkdir()
    (cache / "toy.txt").write_bytes(PAYLOAD_BYTES)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert corpora.corpus_path("toy") == cache / "toy.txt"
    assert server.requests == []


def test_shared_data_dir(cache, monkeypatch):
    if SHARED is None or not (SHARED / "timemachine.txt").exists():
        pytest.skip(f"no checked corpora (D2LMINI_DATA: {SHARED})")
    monkeypatch.setenv(corpora.ENV_DATA, str(SHARED))
    assert corpora.corpus_path("time_machine") == SHARED / "timemachine.txt"
    assert len(corpora.read_corpus("time_machine")) == 178979
    assert listing(cache) == []


def test_wrong_file_in_data_dir(tmp_path, cache, monkeypatch, server):
    server.routes["/toy.txt"] = (PAYLOAD_BYTES, None)
    use_corpus(monkeypatch, server.url("/toy.txt"))
    data = tmp_path / "data"
    data.mkdir()
    (data / "toy.txt").write_bytes(b"wrong")
    monkeypatch.setenv(corpora.ENV_DATA, str(data))
    with pytest.raises(ValueError) as info:
        corpora.corpus_path("toy")
    msg = str(info.value)
    assert str(data / "toy.txt") in msg and PAYLOAD_SHA1 in msg
    assert hashlib.sha1(b"wrong").hexdigest() in msg
    assert server.requests == []  # never silently falls back to a download


def test_unknown_corpus():
    with pytest.raises(KeyError) as info:
        corpora.corpus_path("war_and_peace")
    msg = str(info.value)
    assert "war_and_peace" in msg
    for name in corpora.CORPORA:
        assert name in msg


def test_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(corpora.ENV_CACHE, str(tmp_path / "c"))
    assert corpora.cache_dir() == tmp_path / "c"
    monkeypatch.delenv(corpora.ENV_CACHE)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert corpora.cache_dir() == tmp_path / "xdg" / "d2lmini"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert corpora.cache_dir() == tmp_path / "home" / ".cache" / "d2lmini"


def test_registry_entries_are_well_formed_and_frozen():
    filenames = [corpus.filename for corpus in corpora.CORPORA.values()]
    assert len(set(filenames)) == len(filenames)  # two corpora never share a file in the cache
    for name, corpus in corpora.CORPORA.items():
        assert corpus.name == name and corpus.filename and "/" not in corpus.filename
        assert re.fullmatch("[0-9a-f]{40}", corpus.sha1), corpus
        assert corpus.url.startswith(("http://", "https://")), corpus
    with pytest.raises(dataclasses.FrozenInstanceError):
        corpora.CORPORA["time_machine"].url = "http://127.0.0.1/"


def test_registry_digests_match_the_checked_copies():
    """The SHA1SUMS file that comes with the checked copies agrees with every registered digest."""
    if SHARED is None or not (SHARED / "SHA1SUMS").exists():
        pytest.skip(f"no SHA1SUMS of checked corpora (D2LMINI_DATA: {SHARED})")
    sums = dict(reversed(line.split()) for line in (SHARED / "SHA1SUMS").read_text().splitlines() if line)
    for corpus in corpora.CORPORA.values():
        assert sums.get(corpus.filename) == corpus.sha1, corpus.name


def test_installation_page_lists_what_the_code_downloads():
    """The book's corpus list (file, address, SHA-1) must match d2lmini's registry, entry by entry."""
    page = (pathlib.Path(__file__).resolve().parents[1] / "book" / "installation.md").read_text("utf-8")
    for corpus in corpora.CORPORA.values():
        entry = page.split(f"`{corpus.filename}`\n: ", 1)
        assert len(entry) == 2, f"book/installation.md has no entry for {corpus.filename}"
        entry = entry[1].split("\n\n", 1)[0]
        assert f"Address: <{corpus.url}>" in entry, (corpus.filename, entry)
        assert f"SHA-1: `{corpus.sha1}`" in entry, (corpus.filename, entry)
