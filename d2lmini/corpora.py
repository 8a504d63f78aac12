"""Named text corpora: downloaded once, cached, and always SHA-1-verified.

``read_corpus('time_machine')`` returns the text of a corpus.  The file is
looked up, in this order:

1. ``$D2LMINI_DATA/<filename>`` -- a local, read-only directory (used by CI
   and tests; a file there with the wrong digest is an error);
2. ``cache_dir()/<filename>`` -- the download cache (a corrupt file there is
   deleted and downloaded again);
3. a fresh download into the cache.

Nothing is printed: problems are reported through exceptions and
``warnings.warn`` only, so notebook outputs stay clean.
"""

import dataclasses
import hashlib
import http.client
import os
import pathlib
import socket
import tempfile
import urllib.error
import urllib.request
import warnings

ENV_CACHE = 'D2LMINI_CACHE'
ENV_DATA = 'D2LMINI_DATA'
DOWNLOAD_TIMEOUT = 30  # seconds, per socket operation
_CHUNK = 1 << 16


@dataclasses.dataclass(frozen=True)
class Corpus:
    """Where a corpus comes from and what its file must hash to."""

    name: str
    filename: str
    url: str
    sha1: str
    description: str = ''


CORPORA = {
    c.name: c
    for c in [
        Corpus(
            'time_machine',
            'timemachine.txt',
            'http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt',
            '090b5e7e70c295757f55df93cb0a180b9691891a',
            'H. G. Wells, The Time Machine (public domain), 178,979 bytes.',
        ),
        Corpus(
            'tiny_shakespeare',
            'tinyshakespeare.txt',
            'https://raw.githubusercontent.com/karpathy/char-rnn/master/'
            'data/tinyshakespeare/input.txt',
            '04486597058d11dcc2c556b1d0433891eb639d2e',
            'Tiny Shakespeare (char-rnn benchmark), 1,115,394 bytes.',
        ),
    ]
}


class CorpusUnavailableError(OSError):
    """A corpus is not available locally and could not be downloaded."""


# Errors that mean "the network did not deliver the file".
_NETWORK_ERRORS = (
    urllib.error.URLError,
    http.client.HTTPException,
    ConnectionError,
    TimeoutError,
    socket.timeout,
)


def cache_dir():
    """Return the download cache: ``$D2LMINI_CACHE``, else
    ``$XDG_CACHE_HOME/d2lmini``, else ``~/.cache/d2lmini``."""
    env = os.environ.get(ENV_CACHE)
    if env:
        return pathlib.Path(env).expanduser()
    xdg = os.environ.get('XDG_CACHE_HOME')
    base = pathlib.Path(xdg).expanduser() if xdg else pathlib.Path.home() / '.cache'
    return base / 'd2lmini'


def sha1sum(path):
    """Return the hex SHA-1 digest of the file at ``path``."""
    h = hashlib.sha1()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(_CHUNK), b''):
            h.update(chunk)
    return h.hexdigest()


def download(url, dest, sha1, timeout=30):
    """Download ``url`` to ``dest`` if its SHA-1 is ``sha1``; return ``dest``.

    The data goes to a temporary file next to ``dest`` which is moved onto
    ``dest`` atomically only once it is complete and verified; on any failure
    the temporary file is removed and ``dest`` is left untouched.
    """
    dest = pathlib.Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{dest.name}.', suffix='.part', dir=dest.parent)
    try:
        h, got = hashlib.sha1(), 0
        with os.fdopen(fd, 'wb') as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            length = resp.headers.get('Content-Length')
            for chunk in iter(lambda: resp.read(_CHUNK), b''):
                out.write(chunk)
                h.update(chunk)
                got += len(chunk)
        if length is not None and length.isdigit() and got != int(length):
            raise ConnectionError(f'download interrupted: got {got} of {length} bytes from {url}')
        if h.hexdigest() != sha1:
            raise ValueError(
                f'SHA-1 mismatch for {url}: expected {sha1}, got {h.hexdigest()}'
            )
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return dest


def _corpus(name):
    try:
        return CORPORA[name]
    except KeyError:
        known = ', '.join(sorted(CORPORA))
        raise KeyError(f'unknown corpus {name!r}; known corpora: {known}') from None


def corpus_path(name):
    """Return the path of a verified local copy of corpus ``name``,
    downloading it into ``cache_dir()`` if needed."""
    corpus = _corpus(name)
    data = os.environ.get(ENV_DATA)
    if data:
        local = pathlib.Path(data).expanduser() / corpus.filename
        if local.exists():
            actual = sha1sum(local)
            if actual != corpus.sha1:
                raise ValueError(
                    f'{local} (from ${ENV_DATA}) has SHA-1 {actual}, expected '
                    f'{corpus.sha1}; replace it with the right file or remove it'
                )
            return local
    cached = cache_dir() / corpus.filename
    if cached.exists():
        actual = sha1sum(cached)
        if actual == corpus.sha1:
            return cached
        warnings.warn(
            f'cached {cached} is corrupt (SHA-1 {actual}, expected {corpus.sha1}); '
            'deleting it and downloading it again',
            stacklevel=2,
        )
        cached.unlink()
    try:
        return download(corpus.url, cached, corpus.sha1, timeout=DOWNLOAD_TIMEOUT)
    except _NETWORK_ERRORS as err:
        raise CorpusUnavailableError(
            f'could not download corpus {corpus.name!r} ({corpus.filename}) from '
            f'{corpus.url}: {err}. To work offline, fetch that URL yourself and '
            f'save it as {cached} (directory {cached.parent}), or put '
            f'{corpus.filename} in a directory named by the {ENV_DATA} '
            'environment variable.'
        ) from err


def read_corpus(name):
    """Return the text of corpus ``name`` (decoded as UTF-8)."""
    return corpus_path(name).read_text(encoding='utf-8')
