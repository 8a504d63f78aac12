"""The page checks' network bookkeeping, on a page built to fail: it must name what the page itself
fetched or failed to load, and nothing that Chromium's own start-up tab did.

A fresh Chromium is started here, so that the page is the first one it opens, as the book's first
page is: the start-up New Tab page, which fails to load without network, must not be counted
against it.
"""
import time

from bookpages import Chromium, network_events

PAGE = """<!doctype html><html><head><title>bad page</title>
<script src="https://remote.invalid/lib.js"></script></head>
<body><p>text</p><img src="missing-figure.png" alt="missing"></body></html>
"""


def test_first_page_reports_its_own_failures_only(tmp_path):
    page = tmp_path / 'bad.html'
    page.write_text(PAGE, encoding='utf-8')
    chromium = Chromium(tmp_path / 'profile')
    try:
        driver = chromium.get()
        driver.get_log('performance')
        driver.get(page.as_uri())
        time.sleep(1)                    # let the failures of the remote script and image arrive
        remote, failed = network_events(driver)
    finally:
        chromium.quit()

    assert remote == ['https://remote.invalid/lib.js']
    missing = page.with_name('missing-figure.png').as_uri()
    assert sorted(f.split(' ')[0] for f in failed) == sorted(['https://remote.invalid/lib.js', missing]), failed
