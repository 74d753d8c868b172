"""Fixtures of the web application's browser tests: Debian's chromium driven by Selenium 4
through chromedriver, headless. A missing browser fails the test with the install command."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.chromium import chromium


@pytest.fixture
def browser() -> Iterator[object]:
    with chromium() as driver:
        yield driver
