"""Drive Debian's chromium headless through its chromedriver (selenium), for the HTML export tests.

The browser is required, never skipped: ``.ci/run`` installs ``chromium`` and ``chromium-driver``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
)


def _find(*names: str) -> str | None:
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


@contextmanager
def chromium() -> Iterator[webdriver.Chrome]:
    """A headless chromium session with a throwaway profile; fails clearly when chromium is missing."""
    binary = _find("chromium", "chromium-browser")
    driver_path = _find("chromedriver")
    if binary is None or driver_path is None:
        raise RuntimeError(
            "the HTML export tests need Debian's chromium and chromedriver: "
            "apt-get install -y chromium chromium-driver (.ci/run does this)"
        )
    os.environ.setdefault("SE_OFFLINE", "true")  # selenium-manager must never try to download a driver
    profile = tempfile.mkdtemp(prefix="agentdbg-chromium-")
    options = Options()
    options.binary_location = binary
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        driver.set_page_load_timeout(30)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
