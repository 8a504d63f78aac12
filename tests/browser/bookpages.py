"""Helpers of the browser checks: the pages _toc.yml lists, what their sources say they should
show, and a headless Chromium to open them with."""
import functools
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[2]
HTML = REPO / '_build' / 'html'
SCREENSHOTS = REPO / '_build' / 'screenshots'
SOURCE_SUFFIXES = ('.md', '.ipynb', '.rst', '.myst')

BUILD_HINT = ('Is the book built, and after the last change to _toc.yml? Run `make book` (or '
              '`jupyter-book build . -W -n --keep-going`), then these tests again '
              '(`make browser-test` does both).')
CHROMIUM_HINT = ('Install Debian\'s Chromium and its driver: `apt-get install -y chromium chromium-driver` '
                 '(as root; .ci/run does this in CI). Set CHROMIUM=/path/to/chromium and '
                 'CHROMEDRIVER=/path/to/chromedriver to use other binaries.')

# The flags that make Debian's Chromium run headless, offline and reproducibly on a CI machine.
CHROMIUM_FLAGS = (
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--no-first-run',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
    '--disable-dev-shm-usage',
    '--hide-scrollbars',
    '--force-device-scale-factor=1',
    '--window-size=1280,1000',
)


@dataclass(frozen=True)
class Page:
    """One entry of _toc.yml."""
    docname: str          # e.g. notebooks/04-rnn-scratch
    source: Path          # the .md / .ipynb it is built from
    toc_title: str        # the `title:` of the toc entry, '' when the page's own heading is used
    is_root: bool

    @property
    def html(self):
        return HTML / (self.docname + '.html')

    @property
    def screenshot(self):
        return SCREENSHOTS / (self.docname.replace('/', '__') + '.png')


def _source_of(docname):
    """The source file of a toc entry (`file:` may be given with or without its suffix)."""
    path = REPO / docname
    if path.suffix in SOURCE_SUFFIXES and path.is_file():
        return path
    for suffix in SOURCE_SUFFIXES:
        candidate = REPO / (docname + suffix)
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f'_toc.yml lists {docname!r}, but no {docname}{{{",".join(SOURCE_SUFFIXES)}}} exists')


def _docname(entry):
    path = Path(entry)
    return str(path.with_suffix('')) if path.suffix in SOURCE_SUFFIXES else entry


def toc_pages():
    """Every page _toc.yml lists, in book order (files and globs; external `url:` entries are not pages)."""
    toc = yaml.safe_load((REPO / '_toc.yml').read_text(encoding='utf-8'))
    pages = []

    def add(docname, title='', is_root=False):
        docname = _docname(docname.strip('/'))
        if docname not in (p.docname for p in pages):
            pages.append(Page(docname, _source_of(docname), title or '', is_root))

    def walk(node):
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            if 'file' in node:
                add(node['file'], node.get('title', ''))
            if 'glob' in node:
                for path in sorted(REPO.glob(node['glob'])):
                    if path.suffix in SOURCE_SUFFIXES:
                        add(str(path.relative_to(REPO)))
            for key in ('parts', 'chapters', 'sections'):
                walk(node.get(key))

    add(toc['root'], is_root=True)
    walk(toc)
    return pages


@functools.lru_cache(maxsize=None)
def book_title():
    config = yaml.safe_load((REPO / '_config.yml').read_text(encoding='utf-8'))
    return config.get('title', '')


# --- what the source says the page should show ---------------------------------------------------

_FENCE = re.compile(r'^(\s*)(`{3,}|~{3,})[^\n]*\n.*?^\1\2\s*$', re.S | re.M)
_INLINE_CODE = re.compile(r'(`+)(?!`).*?(?<!`)\1(?!`)', re.S)
_MATH_IN_SOURCE = re.compile(
    r'\$\$.+?\$\$'                            # display math
    r'|(?<![\\$])\$(?=\S)[^$\n]+?(?<=\S)\$(?!\d)'  # inline math, by MyST's dollarmath rules
    r'|\\begin\{[a-zA-Z*]+\}',               # amsmath environments
    re.S)


def _strip_code(markdown):
    """Markdown without its code: fenced blocks and inline code go; ```{math} blocks and {math} roles
    are math, so they stay (as $$...$$ and $...$)."""
    def fence(match):
        head, _, body = match.group(0).partition('\n')
        return f'$${body.rsplit(chr(10), 1)[0]}$$' if '{math}' in head else ''
    text = _FENCE.sub(fence, markdown)
    text = re.sub(r'\{math\}`([^`]*)`', r'$\1$', text)
    return _INLINE_CODE.sub('', text)


def _markdown_of(page):
    """The page's markdown text (for a notebook: its markdown cells, plus any LaTeX outputs)."""
    if page.source.suffix != '.ipynb':
        return page.source.read_text(encoding='utf-8')
    notebook = json.loads(page.source.read_text(encoding='utf-8'))
    parts = []
    for cell in notebook['cells']:
        if cell['cell_type'] == 'markdown':
            parts.append(''.join(cell['source']))
        elif cell['cell_type'] == 'code':
            for output in cell.get('outputs', []):
                latex = output.get('data', {}).get('text/latex')
                if latex and not {'text/html', 'image/png', 'image/svg+xml'} & set(output['data']):
                    parts.append(''.join(latex))
    return '\n\n'.join(parts)


def source_title(page):
    """The first heading of the page's source, as plain text (what Sphinx makes the page title)."""
    text = _markdown_of(page)
    if text.startswith('---'):                         # front matter
        text = text.split('\n---', 1)[-1]
    text = _FENCE.sub('', text)
    match = re.search(r'^#{1,6}\s+(.+?)\s*#*\s*$', text, re.M)
    if not match:
        return ''
    title = match.group(1)
    title = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', title)     # [text](target) -> text
    title = re.sub(r'\{[a-z:-]+\}`([^`]*)`', r'\1', title)     # {role}`text` -> text
    title = title.replace('`', '').replace('**', '').replace('*', '')
    return ' '.join(title.split())


def source_has_math(page):
    return bool(_MATH_IN_SOURCE.search(_strip_code(_markdown_of(page))))


def notebook_cells(page):
    """What each code cell of a notebook should show: [(input shown, [output kinds], first source line)].

    Cells tagged remove-cell are not rendered at all; remove-input / remove-output drop one part.
    Output kinds are named as the page shows them: stream, error, image, html, markdown, math, text.
    """
    if page.source.suffix != '.ipynb':
        return None
    notebook = json.loads(page.source.read_text(encoding='utf-8'))
    cells = []
    for cell in notebook['cells']:
        if cell['cell_type'] != 'code':
            continue
        tags = set(cell.get('metadata', {}).get('tags', []))
        if 'remove-cell' in tags:
            continue
        kinds = []
        if 'remove-output' not in tags:
            for output in cell.get('outputs', []):
                kind = output['output_type']
                if kind == 'stream':
                    kinds.append('stream')
                elif kind == 'error':
                    kinds.append('error')
                else:
                    data = output.get('data', {})
                    if 'text/html' in data:
                        kinds.append('html')
                    elif any(m.startswith('image/') for m in data):
                        kinds.append('image')
                    elif 'text/markdown' in data:
                        kinds.append('markdown')
                    elif 'text/latex' in data:
                        kinds.append('math')
                    elif 'text/plain' in data:
                        kinds.append('text')
        first_line = next((ln for ln in ''.join(cell['source']).splitlines() if ln.strip()), '')
        cells.append(('remove-input' not in tags, kinds, first_line[:60]))
    return cells


# --- the browser ----------------------------------------------------------------------------------

class Chromium:
    """A headless Chromium driven through Debian's chromedriver; started on first use, once per run."""

    def __init__(self, profile_dir):
        self.profile_dir = profile_dir
        self.driver = None
        self.problem = None
        self.chromium = os.environ.get('CHROMIUM') or shutil.which('chromium') or '/usr/bin/chromium'
        self.chromedriver = (os.environ.get('CHROMEDRIVER') or shutil.which('chromedriver')
                             or '/usr/bin/chromedriver')
        missing = [p for p in (self.chromium, self.chromedriver) if not Path(p).is_file()]
        if missing:
            self.problem = f'{" and ".join(missing)} not found. {CHROMIUM_HINT}'

    def get(self):
        """The WebDriver, or a test failure that says what to install."""
        if self.problem:
            pytest.fail(self.problem, pytrace=False)
        if self.driver is None:
            try:
                self.driver = self._start()
            except Exception as error:  # noqa: BLE001 - any start-up failure gets the same advice
                self.problem = f'Chromium did not start ({type(error).__name__}: {error}). {CHROMIUM_HINT}'
                pytest.fail(self.problem, pytrace=False)
        return self.driver

    def _start(self):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = self.chromium
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f'--user-data-dir={self.profile_dir}')
        # The performance log carries the DevTools Network events: every request a page makes.
        options.set_capability('goog:loggingPrefs', {'performance': 'ALL', 'browser': 'ALL'})
        # An explicit driver path: Selenium Manager (which would try to download one) never runs.
        driver = webdriver.Chrome(options=options, service=Service(executable_path=self.chromedriver))
        driver.set_page_load_timeout(60)
        driver.set_script_timeout(30)
        # Chromium opens its New Tab page, which tries to fetch a remote version of itself: leave it.
        driver.get('about:blank')
        return driver

    def quit(self):
        if self.driver is not None:
            self.driver.quit()
            self.driver = None


LOCAL_HOSTS = {'127.0.0.1', 'localhost', '[::1]', '::1'}
BROWSER_SCHEMES = {'chrome', 'chrome-untrusted', 'devtools'}   # Chromium's own pages


def network_events(driver):
    """(remote requests, failed loads) of the book page, from the DevTools log since it was last read.

    Only requests announced since the last read count: the log is read just before each page is
    opened, so every request the page makes is announced here. A failure of a request announced
    earlier is not this page's (Chromium's own New Tab page, open at start-up, fails to fetch its
    remote version when there is no network: the CI machine has no DNS). Requests made by
    Chromium's own chrome:// pages are not the book's either.
    """
    remote, failed, urls = [], [], {}
    for entry in driver.get_log('performance'):
        message = json.loads(entry['message'])['message']
        method, params = message.get('method'), message.get('params', {})
        if method == 'Network.requestWillBeSent':
            if urlsplit(params.get('documentURL', '')).scheme in BROWSER_SCHEMES:
                continue
            url = params['request']['url']
            urls[params['requestId']] = url
            parts = urlsplit(url)
            if parts.scheme in ('http', 'https', 'ws', 'wss') and parts.hostname not in LOCAL_HOSTS:
                remote.append(url)
        elif (method == 'Network.loadingFailed' and not params.get('canceled')
              and params['requestId'] in urls):
            failed.append(f"{urls[params['requestId']]} ({params.get('errorText')})")
    return remote, failed
