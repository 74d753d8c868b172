"""Login, logout and the login requirement.

The session is Starlette's ``SessionMiddleware`` (a signed, HttpOnly, SameSite=Lax cookie,
Secure under TLS); CSRF is ``asgi-csrf`` around the whole app (see :mod:`clinic.web.app`).
Routes declare ``actor: str = Depends(require_user)`` (pages, API) or
``Depends(require_reader)`` (FHIR: a login or an integration's bearer token). Without one,
pages redirect to ``/login?next=...`` and ``/api/*``, ``/fhir/*`` answer 401.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from clinic.accounts import LoginOutcome

router = APIRouter()
API_PREFIXES = ("/api/", "/fhir/")


class NotLoggedIn(Exception):
    """No valid login (or token) on a request that needs one."""


def require_user(request: Request) -> str:
    """The logged-in therapist's username (the account must still exist)."""
    name = request.session.get("user")
    if isinstance(name, str) and request.app.state.accounts.exists(name):
        return name
    request.session.clear()
    raise NotLoggedIn()


def require_reader(request: Request) -> str:
    """A therapist's login or an integration token (``Authorization: Bearer ...``)."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":  # the scheme is case-insensitive (RFC 7235)
        who = request.app.state.tokens.who(credentials.strip())
        if who is None:
            raise NotLoggedIn()
        return f"token:{who}"
    return require_user(request)


def not_logged_in(request: Request, _exc: Exception) -> Response:
    path = request.url.path
    if path.startswith(API_PREFIXES):
        body = {"resourceType": "OperationOutcome", "issue": [
            {"severity": "error", "code": "login", "diagnostics": "log in or send a token"}]}
        return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": "Bearer"},
                            media_type="application/fhir+json" if path.startswith("/fhir/")
                            else "application/json")
    target = path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={_quote(target)}", status_code=303)


def _quote(s: str) -> str:
    from urllib.parse import quote

    return quote(s, safe="/")


def safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no //host) may follow a login."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def page(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    """Render a template with what every page needs: the user, the CSRF token, the clinic."""
    return request.app.state.templates.TemplateResponse(
        request, template, {"user": request.session.get("user"),
                            "csrftoken": request.scope["csrftoken"](),
                            "clinic": request.app.state.clinic, **ctx}, status_code=status)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return page(request, "login.html", next=safe_next(next), error="")


@router.post("/login")
def login(request: Request, username: str = Form(..., max_length=200),
          password: str = Form(..., max_length=2000), next: str = Form("/")) -> Response:
    state = request.app.state
    result = state.accounts.login(username, password)
    if result.outcome is LoginOutcome.OK:
        request.session.clear()  # a fresh session: nothing from before the login carries over
        request.session["user"] = username
        request.session["since"] = datetime.now(timezone.utc).isoformat()
        state.audit.record(username, "login", "/login")
        return RedirectResponse(safe_next(next), status_code=303)
    state.audit.record(username[:64] or "-", "login_failed", f"/login ({result.outcome})")
    if result.outcome is LoginOutcome.LOCKED and result.locked_until is not None:
        wait = max(1, int((result.locked_until - datetime.now(timezone.utc)).total_seconds()))
        error = f"Too many failed logins: try again in {wait} seconds."
        return page(request, "login.html", 429, next=safe_next(next), error=error)
    return page(request, "login.html", 400, next=safe_next(next),
                error="Wrong username or password.")


@router.post("/logout")
def logout(request: Request, actor: str = Depends(require_user)) -> Response:
    request.app.state.audit.record(actor, "logout", "/logout")
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
