"""Open every page of the built book (_toc.yml order) in headless Chromium and check what a reader sees.

For each page: its title, rendered math, images, notebook cells and outputs, internal links, and that
nothing is fetched from the network. A full-page screenshot of each goes to _build/screenshots/.
All problems of one page are reported together, so one run shows everything that is wrong with it.
"""
import base64
import re
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from bookpages import (BUILD_HINT, HTML, book_title, network_events, notebook_cells, source_has_math,
                       source_title)

# Raw TeX that should have been typeset: $$, \( \), \[ \], \begin{...}, and $...$ holding TeX.
RAW_MATH = re.compile(r'\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\$[^$\n]*(?:\\[A-Za-z]+|[\^_]\{)[^$\n]*\$')
SCHEME = re.compile(r'^[a-zA-Z][a-zA-Z0-9+.-]*:')
# Uncaught JavaScript errors that are known and harmless. sphinx-thebe 0.3.1 (which Jupyter Book
# always loads) puts its one-line config script into every page twice under Sphinx 7.4, so the
# second copy throws; thebe is switched off here, and nothing else is in that script.
KNOWN_JS_ERRORS = ("Identifier 'THEBE_JS_URL' has already been declared",)

# Wait for MathJax (if the page loads it) to finish typesetting; report whether it ran.
WAIT_FOR_MATHJAX = """
const done = arguments[arguments.length - 1];
const hasScript = [...document.scripts].some(s => /mathjax/i.test(s.src));
const deadline = Date.now() + 5000;   // the load event has passed: MathJax had its chance
(function poll() {
  const mj = window.MathJax;
  if (mj && mj.startup && mj.startup.promise) {
    mj.startup.promise.then(() => done({script: hasScript, ran: true}),
                            e => done({script: hasScript, ran: false, error: String(e)}));
  } else if (!hasScript || Date.now() > deadline) {
    done({script: hasScript, ran: false});
  } else {
    setTimeout(poll, 50);
  }
})();
"""

# Load every image now (lazy ones included) and wait until each has loaded or failed.
WAIT_FOR_IMAGES = """
const done = arguments[arguments.length - 1];
const images = [...document.images];
images.forEach(img => { if (img.loading === 'lazy') img.loading = 'eager'; });
Promise.all(images.map(img => img.complete ? null : new Promise(resolve => {
  img.addEventListener('load', resolve, {once: true});
  img.addEventListener('error', resolve, {once: true});
  setTimeout(resolve, 10000);
}))).then(() => done(images.length));
"""

# Scroll to the top and wait two frames, so that layout and paint have caught up.
SETTLE = """
const done = arguments[arguments.length - 1];
window.scrollTo(0, 0);
requestAnimationFrame(() => requestAnimationFrame(() => done()));
"""

# Everything the checks need from the rendered page, in one round trip.
PAGE_FACTS = """
const article = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
const plain = el => {
  const copy = el.cloneNode(true);
  copy.querySelectorAll('.headerlink, .section-number').forEach(e => e.remove());
  return copy.textContent.replace(/\\s+/g, ' ').trim();
};
const h1s = [...article.querySelectorAll('h1')];
const number = h1s.length ? (h1s[0].querySelector('.section-number') || {textContent: ''}).textContent : '';
const navLink = document.querySelector('.bd-sidebar-primary a.current.reference.internal, nav.bd-docs-nav a.current');

// Visible text outside code, scripts and typeset math: where raw TeX would show.
const skip = 'pre, code, script, style, textarea, mjx-container, .MathJax, mjx-assistive-mml';
const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
const texts = [];
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const parent = node.parentElement;
  if (!parent || parent.closest(skip)) continue;
  if (!parent.getClientRects().length) continue;           // not displayed
  if (node.textContent.trim()) texts.push(node.textContent);
}

const mathNodes = [...article.querySelectorAll('.math')];
const cells = [...article.querySelectorAll('div.cell')].map(cell => {
  const input = cell.querySelector(':scope > .cell_input, :scope > details .cell_input');
  const outputArea = cell.querySelector('.cell_output');
  const kinds = [];
  if (outputArea) {
    for (const el of outputArea.querySelectorAll('.output, img, .math, .text_html, .text_markdown')) {
      if (el.closest('.output') && el.closest('.output') !== el) continue;   // inside an output already counted
      const c = el.classList;
      if (el.tagName === 'IMG') kinds.push('image');
      else if (c.contains('stream') || c.contains('stderr')) kinds.push('stream');
      else if (c.contains('traceback') || c.contains('error')) kinds.push('error');
      else if (c.contains('text_html')) kinds.push(el.querySelector('img') ? 'image' : 'html');
      else if (c.contains('text_markdown')) kinds.push('markdown');
      else if (c.contains('math') || c.contains('text_latex')) kinds.push('math');
      else if (c.contains('text_plain')) kinds.push('text');
      else kinds.push('other:' + el.className);
    }
  }
  return {input: !!input, inputText: input ? input.textContent.trim().split('\\n')[0].slice(0, 60) : '',
          kinds: kinds};
});

return {
  title: document.title,
  h1: h1s.map(plain),
  h1Number: number,
  nav: navLink ? navLink.textContent.replace(/\\s+/g, ' ').trim() : null,
  mathCount: mathNodes.length,
  mathUnrendered: mathNodes.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.trim().slice(0, 80)),
  mjxCount: document.querySelectorAll('mjx-container').length,
  mathErrors: [...document.querySelectorAll('mjx-merror')].map(e => e.getAttribute('data-mjx-error') || e.textContent),
  texts: texts,
  images: [...document.images].map(img => ({src: img.getAttribute('src'), complete: img.complete,
                                             width: img.naturalWidth})),
  cells: cells,
  links: [...document.querySelectorAll('a[href]')].map(a => ({raw: a.getAttribute('href'), url: a.href,
                                                             text: a.textContent.trim().slice(0, 40)})),
  ids: [...document.querySelectorAll('[id]')].map(e => e.id)
        .concat([...document.querySelectorAll('a[name]')].map(e => e.getAttribute('name'))),
  // What the page loads (not mere <a> links or <link rel=canonical>) from another host.
  remote: [...document.querySelectorAll('script[src], img[src], iframe[src], source[src], video[src], ' +
                                        'audio[src], link[rel~=stylesheet], link[rel~=preload], ' +
                                        'link[rel~=modulepreload], link[rel~=icon]')]
          .map(e => e.getAttribute('src') || e.getAttribute('href'))
          .filter(u => /^(https?:)?\\/\\//i.test(u)),
};
"""


class _Anchors(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == 'id' or (tag == 'a' and name == 'name'):
                self.ids.add(value)


_anchor_cache = {}


def anchors_of(path):
    if path not in _anchor_cache:
        parser = _Anchors()
        parser.feed(path.read_text(encoding='utf-8', errors='replace'))
        _anchor_cache[path] = parser.ids
    return _anchor_cache[path]


def save_screenshot(driver, path):
    """The whole page, not just the window, as PNG.

    The viewport is made as tall as the page and the page given two frames to settle before the
    capture: capturing "beyond the viewport" instead sometimes caught the page mid-layout, shifted
    sideways, when the machine was busy.
    """
    width = driver.execute_script('return window.innerWidth')
    height = 0
    for _ in range(3):                     # a taller viewport can change the page's height (vh units)
        new_height = driver.execute_cdp_cmd('Page.getLayoutMetrics', {})['cssContentSize']['height']
        if abs(new_height - height) < 1:
            break
        height = new_height
        driver.execute_cdp_cmd('Emulation.setDeviceMetricsOverride', {
            'width': width, 'height': int(height + 0.999), 'deviceScaleFactor': 1, 'mobile': False})
        driver.execute_async_script(SETTLE)
    try:
        shot = driver.execute_cdp_cmd('Page.captureScreenshot', {'format': 'png', 'optimizeForSpeed': True})
    finally:
        driver.execute_cdp_cmd('Emulation.clearDeviceMetricsOverride', {})
    path.write_bytes(base64.b64decode(shot['data']))


def link_problems(facts, page):
    problems = []
    html_root = HTML.resolve()
    seen = set()
    for link in facts['links']:
        raw = link['raw'].strip()
        if not raw or raw.startswith('//') or (SCHEME.match(raw) and not raw.lower().startswith('file:')):
            continue                                        # external (http, mailto, ...): not ours to check
        if raw in seen:
            continue
        seen.add(raw)
        parts = urlsplit(link['url'])
        target = Path(unquote(parts.path))
        fragment = unquote(parts.fragment)
        label = f'link {raw!r} ("{link["text"]}")'
        if not target.resolve().is_relative_to(html_root):
            problems.append(f'{label} points outside the built book: {target}')
            continue
        if target.is_dir():
            target = target / 'index.html'
        if not target.is_file():
            problems.append(f'{label}: no such file {target.relative_to(html_root)}')
            continue
        if fragment and target.suffix == '.html':
            ids = set(facts['ids']) if target.resolve() == page.html.resolve() else anchors_of(target)
            if fragment not in ids:
                problems.append(f'{label}: no anchor #{fragment} in {target.relative_to(html_root)}')
    return problems


def cell_problems(facts, page):
    expected = notebook_cells(page)
    if expected is None:
        return []
    shown = facts['cells']
    problems = []
    if not shown and expected:
        return [f'no code cells on the page (the notebook has {len(expected)})']
    if expected and not any(kinds for _, kinds, _ in expected):
        problems.append('the notebook has no stored outputs: run `make notebooks` and commit the result')
    if len(shown) != len(expected):
        problems.append(f'{len(shown)} code cells on the page, the notebook has {len(expected)}')
    for number, ((has_input, kinds, first_line), cell) in enumerate(zip(expected, shown), start=1):
        where = f'code cell {number} ({first_line!r})'
        if has_input and not cell['input']:
            problems.append(f'{where}: its code is missing')
        elif has_input and first_line.strip() and first_line.strip()[:30] not in cell['inputText'] + ' ':
            problems.append(f'{where}: the page shows {cell["inputText"]!r} in its place')
        if kinds != cell['kinds']:
            problems.append(f'{where}: outputs {cell["kinds"] or "none"} on the page, '
                            f'{kinds or "none"} in the notebook')
    return problems


def test_page(page, browser, screenshots_dir):
    if not page.html.is_file():
        pytest.fail(f'{page.html.relative_to(HTML.parent.parent)} does not exist. {BUILD_HINT}', pytrace=False)
    driver = browser.get()
    driver.get_log('performance')                           # forget the previous page's requests
    driver.get_log('browser')

    started = time.monotonic()
    url = page.html.resolve().as_uri()
    driver.get(url)
    # driver.get() can return while a big page is still parsing (seen on a busy machine): wait for it.
    WebDriverWait(driver, 60, poll_frequency=0.05).until(
        lambda d: d.execute_script('return document.readyState') == 'complete'
        and d.current_url.split('#')[0] == url,
        message=f'{url} did not finish loading in 60 s')
    mathjax = driver.execute_async_script(WAIT_FOR_MATHJAX)
    driver.execute_async_script(WAIT_FOR_IMAGES)
    save_screenshot(driver, screenshots_dir / page.screenshot.name)
    facts = driver.execute_script(PAGE_FACTS)
    remote, failed = network_events(driver)
    # Uncaught exceptions only: console.error() notes (e.g. the theme's "invalid theme mode" on a
    # first visit) are not failures.
    console = [e['message'] for e in driver.get_log('browser')
               if e['level'] == 'SEVERE' and 'Uncaught' in e['message']
               and not any(known in e['message'] for known in KNOWN_JS_ERRORS)]
    problems = []

    # The title: the page's <h1> is its source's first heading, <title> and the sidebar agree.
    expected_title = source_title(page)
    if len(facts['h1']) != 1:
        problems.append(f'{len(facts["h1"])} <h1> headings in the page body (expected 1): {facts["h1"]}')
    h1 = facts['h1'][0] if facts['h1'] else ''
    if h1 != expected_title:
        problems.append(f'<h1> is {h1!r}, the source\'s first heading is {expected_title!r}')
    full_title = f'{facts["h1Number"]}{h1} \u2014 {book_title()}'
    if facts['title'] != full_title:
        problems.append(f'<title> is {facts["title"]!r}, expected {full_title!r}')
    if not page.is_root:
        nav_expected = facts['h1Number'] + (page.toc_title or h1)
        if facts['nav'] is None:
            problems.append('the page is not marked as the current page in the sidebar')
        elif facts['nav'] != nav_expected:
            problems.append(f'the sidebar calls the page {facts["nav"]!r}, expected {nav_expected!r}')

    # Math: typeset by MathJax wherever the source has any, with no raw TeX left in the text.
    if source_has_math(page) or facts['mathCount']:
        if not mathjax['script']:
            problems.append('the source has math but the page does not load MathJax')
        elif not mathjax['ran']:
            problems.append(f'MathJax did not run ({mathjax.get("error", "it never started")})')
        if facts['mjxCount'] == 0:
            problems.append('the source has math but no typeset math (mjx-container) is on the page')
        if facts['mathUnrendered']:
            problems.append(f'{len(facts["mathUnrendered"])} math elements not typeset, '
                            f'e.g. {facts["mathUnrendered"][0]!r}')
    if facts['mathErrors']:
        problems.append(f'MathJax errors: {facts["mathErrors"][:3]}')
    raw = [f'{m.group(0)} in "{" ".join(t.split())[:80]}"' for t in facts['texts'] for m in [RAW_MATH.search(t)] if m]
    if raw:
        problems.append(f'raw TeX in the visible text ({len(raw)}x): ' + '; '.join(raw[:3]))

    # Images: every one loaded and has a size (figures, notebook PNG/SVG outputs, logos).
    for image in facts['images']:
        if not image['complete'] or image['width'] == 0:
            problems.append(f'image {image["src"]!r} did not load (naturalWidth {image["width"]})')

    problems += cell_problems(facts, page)
    problems += link_problems(facts, page)

    # Offline: nothing referenced or fetched from the network, nothing local missing, no JS errors.
    for address in sorted(set(facts['remote'])):
        problems.append(f'the page references a remote resource: {address}')
    for address in sorted(set(remote)):
        problems.append(f'the page requested {address} from the network')
    for what in sorted(set(failed)):
        problems.append(f'failed to load {what}')
    for message in console:
        problems.append(f'JavaScript error: {message}')

    elapsed = time.monotonic() - started
    if problems:
        pytest.fail(f'{page.docname} ({page.html.relative_to(HTML)}, screenshot '
                    f'{page.screenshot.relative_to(HTML.parent.parent)}, {elapsed:.1f} s): '
                    f'{len(problems)} problem(s)\n  - ' + '\n  - '.join(problems), pytrace=False)
