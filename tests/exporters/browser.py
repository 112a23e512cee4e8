"""Drive Debian's chromium headless through its chromedriver (selenium), for the HTML export tests.

Where chromium is missing the tests skip with the install command; ``.ci/run`` installs ``chromium`` and
``chromium-driver`` and sets ``AGENTDBG_REQUIRE_PARTS=1``, which turns that skip into a failure.
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

from tests.parts import require_part

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
    """A headless chromium session with a throwaway profile; skips (fails under CI) when chromium is missing."""
    binary = _find("chromium", "chromium-browser")
    driver_path = _find("chromedriver")
    require_part(
        "chromium + chromedriver (the HTML export's browser tests)",
        binary is not None and driver_path is not None,
        "apt-get install -y chromium chromium-driver",
    )
    assert binary is not None and driver_path is not None
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
