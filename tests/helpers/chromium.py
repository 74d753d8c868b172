"""Debian's chromium driven by Selenium 4 through chromedriver, headless, for the browser
tests; a missing browser fails the test with the install command. ``shot_path`` says where a
browser test saves its screenshot."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
INSTALL = "install Debian's browser: sudo scripts/system-deps.sh test (chromium chromium-driver)"


def shot_path(name: str) -> Path:
    """Where a browser test saves its screenshot: a temp folder, so `make test` leaves the
    checkout as it was; `REHAB_SHOTS_DIR=docs/img pytest tests/clinic/web` refreshes the
    README's and docs' images."""
    folder = Path(os.environ.get("REHAB_SHOTS_DIR") or Path(tempfile.gettempdir()) / "rehab-shots")
    if not folder.is_absolute():
        folder = REPO / folder
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


@contextmanager
def chromium(*extra_args: str, window: str = "1280,1000") -> Iterator[Any]:
    """Debian's chromium, headless, through chromedriver (fails with the install command
    when missing); ``extra_args`` are added to the command line."""
    if not (shutil.which(CHROMIUM) and shutil.which(DRIVER)):
        pytest.fail(f"{CHROMIUM} / {DRIVER} missing: {INSTALL}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", f"--window-size={window}",
                "--disable-dev-shm-usage", *extra_args):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()
