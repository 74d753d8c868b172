"""Selenium helpers of the browser tests (waiting for a page, logging in)."""

from __future__ import annotations

from typing import Callable

POLL_S = 0.05


def wait_until(driver: object, check: object, timeout_s: float = 10.0,
               what: str | Callable[[], str] = "") -> None:
    """Wait until ``check(driver)`` is true (a click navigates asynchronously). On a
    timeout, fail with ``what`` (a callable is asked then: the state of the far parts)."""
    from selenium.common.exceptions import (
        NoSuchElementException,
        StaleElementReferenceException,
        TimeoutException,
    )
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        # a look every 50 ms (Selenium's default is 500 ms: up to half a second lost after
        # each click; a look is one request to chromedriver on this machine)
        WebDriverWait(driver, timeout_s, poll_frequency=POLL_S, ignored_exceptions=(
            StaleElementReferenceException, NoSuchElementException)).until(check)  # type: ignore[arg-type]
    except TimeoutException:
        if not what:
            raise
        raise AssertionError(f"timed out after {timeout_s:g} s waiting for "
                             f"{what() if callable(what) else what}") from None


def log_in(driver: object, base: str, user: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(base + "/")  # type: ignore[attr-defined]
    assert "/login" in driver.current_url  # type: ignore[attr-defined]  # pages need a login
    driver.find_element(By.NAME, "username").send_keys(user)  # type: ignore[attr-defined]
    driver.find_element(By.NAME, "password").send_keys(password)  # type: ignore[attr-defined]
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()  # type: ignore[attr-defined]
    wait_until(driver, lambda d: d.find_element(By.TAG_NAME, "h1").text.startswith("Caseload"))
