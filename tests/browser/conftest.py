"""Browser checks of the built book (tests/browser): fixtures and one test per page of _toc.yml.

These tests read _build/html; they do not build it. Run them with `make browser-test` (which builds
the book first) or, after a build, `python -m pytest tests/browser`. The unit-test run leaves them
out (`make test` runs them only after it has built the book).
"""
import shutil

import pytest

from bookpages import SCREENSHOTS, Chromium, toc_pages


@pytest.fixture(scope='session')
def browser(tmp_path_factory):
    chromium = Chromium(tmp_path_factory.mktemp('chromium-profile'))
    yield chromium
    chromium.quit()


@pytest.fixture(scope='session')
def screenshots_dir():
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS


def pytest_generate_tests(metafunc):
    if 'page' in metafunc.fixturenames:
        pages = toc_pages()
        metafunc.parametrize('page', pages, ids=[p.docname for p in pages])
