"""The clinic web application: ``create_app(store, clinic=...)`` -> an ASGI app.

FastAPI + Jinja2 (server-rendered pages, static CSS, no CDN), Starlette's SessionMiddleware
(signed HttpOnly SameSite=Lax cookie; Secure with ``secure_cookies``), asgi-csrf around
everything (double-submit cookie: a ``csrftoken`` form field or ``x-csrftoken`` header on
every POST; the login form always). See clinic/web/README.md for extending it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

from asgi_csrf import asgi_csrf
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from starlette.middleware.sessions import SessionMiddleware

from clinic.accounts import Accounts, LockoutPolicy
from clinic.live import LiveFanout
from clinic.store import write_transaction
from clinic.tokens import Tokens
from clinic.web import auth, fhir_api, health, live_page, messages, pages, plan_editor, visit_page
from clinic.web.alerts import AlertRules
from clinic.web.caseload import Caseload
from clinic.web_audit import WebAudit
from clinic.web_schema import web_labels, web_secrets

SESSION_COOKIE = "rehab_session"
SESSION_MAX_AGE_S = 8 * 3600  # one working day; then log in again


def store_engine(store: Any) -> Engine:
    """The store's SQLAlchemy engine (``clinic.store.ClinicStore.engine``)."""
    return store.engine  # type: ignore[no-any-return]


class Labels:
    """The therapist's labels by device, read once and again after a change."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._labels: dict[str, str] | None = None

    def get(self, device: str) -> str:
        if self._labels is None:
            with self.engine.connect() as conn:
                self._labels = {d: lb for d, lb in conn.execute(
                    select(web_labels.c.device, web_labels.c.label))}
        return self._labels.get(device, "")

    def clear(self) -> None:
        self._labels = None


def shared_secret(engine: Engine, name: str) -> str:
    """A random secret kept in the store, made by the first process that asks for it."""
    query = select(web_secrets.c.value).where(web_secrets.c.name == name)
    try:
        with write_transaction(engine) as conn:  # reads, then writes: the lock first
            value = conn.scalar(query)
            if value is None:
                value = secrets.token_urlsafe(32)
                conn.execute(insert(web_secrets).values(name=name, value=value))
    except IntegrityError:  # another process made it first: use theirs
        with engine.connect() as conn:
            value = conn.scalar(query)
    return str(value)


def create_app(store: Any, *, clinic: str, publisher: Any = None,
               secret_key: str | None = None, secure_cookies: bool = False,
               lockout: LockoutPolicy = LockoutPolicy(),
               alert_rules: AlertRules = AlertRules(), live: LiveFanout | None = None,
               key_file: Path | None = None, visit: Callable[[], Any] | None = None,
               ice: dict[str, Any] | None = None) -> Any:
    """The ASGI app. ``secret_key`` signs session and CSRF cookies (default: a random key
    kept in the store, shared by every serve process on it); ``publisher`` is for pages
    that send to devices; ``alert_rules`` sets the caseload's thresholds (pain, silence);
    ``live`` is ingest's fan-out of the live leaf (the live page; default: an empty one);
    ``key_file`` the clinic's signing key (replies, appointments, plans); ``visit`` gives
    the video visits' :class:`clinic.visit.ClinicVisitRelay` (``clinic.visit.relay_factory``)
    and ``ice`` the browser's RTCPeerConnection configuration (``clinic.visit.browser_ice``;
    default: host candidates only)."""
    engine = store_engine(store)
    key = secret_key or shared_secret(engine, "session")
    app = FastAPI(title="rehab-kiosk clinic", docs_url=None, redoc_url=None,
                  openapi_url=None)
    web = files("clinic.web")
    app.state.templates = Jinja2Templates(directory=str(web / "templates"))
    app.state.templates.env.filters["exercise_name"] = pages.exercise_name
    app.state.store = store
    app.state.engine = engine
    app.state.clinic = clinic
    app.state.publisher = publisher
    app.state.live = live if live is not None else LiveFanout()
    app.state.key_file = key_file
    app.state.visit = visit
    app.state.ice = ice or {"iceServers": [], "iceTransportPolicy": "all"}
    app.state.accounts = Accounts(engine, policy=lockout)
    app.state.tokens = Tokens(engine)
    app.state.audit = WebAudit(engine)
    app.state.caseload = Caseload(engine, alert_rules)
    app.state.labels = Labels(engine)
    app.add_middleware(SessionMiddleware, secret_key=key, session_cookie=SESSION_COOKIE,
                       max_age=SESSION_MAX_AGE_S, same_site="lax", https_only=secure_cookies)
    app.add_exception_handler(auth.NotLoggedIn, auth.not_logged_in)
    fhir_api.add_error_handlers(app)  # errors under /fhir as OperationOutcomes
    app.mount("/static", StaticFiles(directory=str(web / "static")), name="static")
    app.include_router(health.router)  # GET /healthz, no login (C1's, reads state.ingest)
    app.include_router(auth.router)
    app.include_router(pages.router)
    app.include_router(fhir_api.router)
    app.include_router(live_page.router)
    app.include_router(messages.router)
    app.include_router(plan_editor.router)
    app.include_router(visit_page.router)
    wrapped = asgi_csrf(app, signing_secret=key, always_protect={"/login"},
                        cookie_secure=secure_cookies, cookie_samesite="Lax")
    wrapped.state = app.state  # type: ignore[attr-defined]  # for tests and serve
    return wrapped
