"""Browser tests: Debian's Chromium driven by Playwright for Python, against pytest-django's live server.

The cast is built with `transactional_db` (`cast_tx`) so that the live
server's thread sees it. Playwright's sync API runs an event loop in the
test thread, which Django would take for async code touching the database.
"""
import importlib
import os
import shutil

import pytest

from conftest import build_cast  # tests/conftest.py: the one cast

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture
def cast_tx(transactional_db):
    return build_cast()


@pytest.fixture
def appeal_cast(cast_tx):
    """transactional_db flushes the tables after each test, seeded rows included: put the categories and the
    holiday calendar back (both loaders skip what is already there)."""
    from django.apps import apps

    importlib.import_module("gongzhi.appeals.migrations.0002_default_categories").load(apps, None)
    importlib.import_module("gongzhi.core.migrations.0003_calendar_2026").load(apps, None)
    return cast_tx


@pytest.fixture(scope="module")
def browser():
    if not (os.path.exists(CHROMIUM) and shutil.which(CHROMIUM)):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing on CI: bin/install-test-deps should have installed Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk); CI would fail here")
    from playwright.sync_api import sync_playwright

    # Only while the browser runs (and so its event loop): other tests keep Django's async-safety check.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield b
            finally:
                b.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before
