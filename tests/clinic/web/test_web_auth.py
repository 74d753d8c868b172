"""The web application's rules through Starlette's TestClient on a real SQLite store:
login required (redirect for pages, 401 for API), session cookie flags, CSRF refusal,
lockout with back-off persisted in the store, and the audit of views and changes."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient
from web_world import World, filled_store

from clinic.accounts import Accounts, LockoutPolicy, LoginOutcome, lockout_s
from clinic.web.app import create_app
from clinic.web_schema import web_labels

PASSWORD = "correct horse battery"


@pytest.fixture
def world(tmp_path: Path) -> World:
    w = filled_store(tmp_path / "clinic.db", devices=3, days=14)
    yield w
    w.store.close()


def _app(world: World, **kw: object) -> object:
    app = create_app(world.store, clinic="clinic-a", secret_key="k", **kw)
    if "ann" not in app.state.accounts.names():
        app.state.accounts.add("ann", PASSWORD)
    return app


def _csrf(client: TestClient) -> str:
    page = client.get("/login").text
    return re.search(r'name="csrftoken" value="([^"]+)"', page).group(1)


def login(client: TestClient, password: str = PASSWORD) -> object:
    return client.post("/login", data={"username": "ann", "password": password,
                                       "csrftoken": _csrf(client), "next": "/"},
                       follow_redirects=False)


def test_everything_but_healthz_and_login_needs_a_login(world: World) -> None:
    c = TestClient(_app(world))
    assert c.get("/healthz").status_code == 200
    assert c.get("/login").status_code == 200
    for path in ("/", "/patients/dev-000", "/patients/dev-000/sessions/x"):
        r = c.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/")
    for path in ("/fhir/Observation", "/fhir/AuditEvent", "/fhir/QuestionnaireResponse"):
        r = c.get(path)
        assert r.status_code == 401 and r.headers["content-type"] == "application/fhir+json"
    r = c.get("/api/caseload")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert login(c).status_code == 303
    rows = c.get("/api/caseload?sort=alerts").json()
    assert [r["device"] for r in rows][:2] == ["dev-000", "dev-001"]
    assert {a["kind"] for a in rows[0]["alerts"]} == {"red_flag", "pain"}
    r = c.get("/fhir/Observation", headers={"Authorization": "Bearer rk_not-a-token"})
    assert r.status_code == 401


def test_login_sets_an_httponly_lax_session_and_logout_ends_it(world: World) -> None:
    c = TestClient(_app(world))
    r = login(c)
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("rehab_session="))
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()
    assert c.get("/").status_code == 200
    page = c.get("/").text
    token = re.search(r'name="csrftoken" value="([^"]+)"', page).group(1)
    assert c.post("/logout", data={"csrftoken": token}, follow_redirects=False).status_code == 303
    assert c.get("/", follow_redirects=False).status_code == 303


def test_secure_cookies_under_tls(world: World) -> None:
    c = TestClient(_app(world, secure_cookies=True), base_url="https://testserver")
    cookie = next(h for h in login(c).headers.get_list("set-cookie")
                  if h.startswith("rehab_session="))
    assert "secure" in cookie.lower()


def test_a_login_after_a_redirect_goes_back_but_never_off_site(world: World) -> None:
    c = TestClient(_app(world))
    for target, expected in (("/patients/dev-001", "/patients/dev-001"),
                             ("//evil.example/x", "/"), ("https://evil.example", "/")):
        r = c.post("/login", data={"username": "ann", "password": PASSWORD,
                                   "csrftoken": _csrf(c), "next": target},
                   follow_redirects=False)
        assert r.headers["location"] == expected


def test_forms_without_the_csrf_token_are_refused(world: World) -> None:
    c = TestClient(_app(world))
    c.get("/login")  # the csrftoken cookie is set, the form field is missing
    r = c.post("/login", data={"username": "ann", "password": PASSWORD})
    assert r.status_code == 403 and "rehab_session" not in c.cookies
    fresh = TestClient(_app(world))  # no cookie at all: /login is still protected
    assert fresh.post("/login", data={"username": "ann", "password": PASSWORD}).status_code == 403
    assert login(c).status_code == 303
    r = c.post("/patients/dev-000/label", data={"label": "forged"})
    assert r.status_code == 403
    r = c.post("/patients/dev-000/label", data={"label": "forged", "csrftoken": "x" * 40})
    assert r.status_code == 403
    with world.store.engine.connect() as conn:
        assert conn.scalar(select(web_labels.c.label)) is None
    assert c.post("/logout", data={}).status_code == 403
    assert c.get("/").status_code == 200  # still logged in


@pytest.mark.parametrize("failures, seconds", [(0, 0.0), (5, 0.0), (6, 30.0), (7, 60.0),
                                               (10, 480.0), (11, 900.0), (500, 900.0)])
def test_lockout_back_off(failures: int, seconds: float) -> None:
    assert lockout_s(failures, LockoutPolicy()) == seconds


def test_lockout_is_persisted_and_refuses_even_the_right_password(world: World) -> None:
    policy = LockoutPolicy(free_failures=2, first_lock_s=60.0, max_lock_s=600.0)
    c = TestClient(_app(world, lockout=policy))
    assert login(c, "wrong password 1").status_code == 400
    assert login(c, "wrong password 2").status_code == 400
    r = login(c, "wrong password 3")
    assert r.status_code == 429 and "try again in" in r.text
    # a new process on the same store: still locked, the right password included
    c2 = TestClient(_app(world, lockout=policy))
    r = login(c2)
    assert r.status_code == 429 and "rehab_session" not in c2.cookies
    # once the lock has passed (clock moved on), the right password works and resets
    later = datetime.now(timezone.utc) + timedelta(seconds=61)
    accounts = Accounts(world.store.engine, policy=policy, clock=lambda: later)
    assert accounts.login("ann", PASSWORD).outcome is LoginOutcome.OK
    assert login(c2).status_code == 303


def test_unknown_users_and_wrong_passwords_read_the_same(world: World) -> None:
    c = TestClient(_app(world))
    r1 = c.post("/login", data={"username": "nobody", "password": PASSWORD,
                                "csrftoken": _csrf(c)})
    r2 = login(c, "not the password")
    assert r1.status_code == r2.status_code == 400
    assert "Wrong username or password." in r1.text and "Wrong username or password." in r2.text


def test_views_and_changes_of_patient_data_are_audited(world: World) -> None:
    app = _app(world)
    c = TestClient(app)
    login(c)
    c.get("/patients/dev-001")
    page = c.get("/patients/dev-001").text
    token = re.search(r'name="csrftoken" value="([^"]+)"', page).group(1)
    c.post("/patients/dev-001/label", data={"label": "  M.K.   hip ", "csrftoken": token})
    ehr = app.state.tokens.add("ehr")
    r = c.get("/fhir/Observation?subject=dev-002", headers={"Authorization": f"Bearer {ehr}"})
    assert r.status_code == 200
    rows = app.state.audit.rows()
    seen = {(r.actor, r.action, r.device, r.what) for r in rows}
    assert ("ann", "view", "dev-001", "patient dev-001") in seen
    assert ("ann", "change", "dev-001", "label of dev-001") in seen
    assert ("token:ehr", "view", "dev-002", "fhir Observation") in seen
    assert ("ann", "login", None, "/login") in seen
    assert "M.K. hip" in c.get("/").text  # the label shows beside the id
    bad = TestClient(app)
    bad.post("/login", data={"username": "ann", "password": "nope nope nope",
                             "csrftoken": _csrf(bad)})
    assert app.state.audit.rows(limit=1)[0].action == "login_failed"


def test_a_removed_account_is_logged_out(world: World) -> None:
    app = _app(world)
    c = TestClient(app)
    login(c)
    assert c.get("/").status_code == 200
    app.state.accounts.remove("ann")
    assert c.get("/", follow_redirects=False).status_code == 303


def test_a_login_holds_on_every_serve_process_of_the_store_and_after_a_restart(
        world: World) -> None:
    """Without a configured key each process signed with its own random one: behind one
    address a therapist logged in at process A was sent to /login by process B."""
    a = create_app(world.store, clinic="clinic-a")
    a.state.accounts.add("ann", PASSWORD)
    c = TestClient(a)
    assert login(c).status_code == 303
    b = TestClient(create_app(world.store, clinic="clinic-a"), cookies=dict(c.cookies))
    assert b.get("/", follow_redirects=False).status_code == 200
    page = b.get("/patients/dev-000").text  # and its forms pass process B's CSRF check
    token = re.search(r'name="csrftoken" value="([^"]+)"', page).group(1)
    assert b.post("/patients/dev-000/label", data={"label": "x", "csrftoken": token},
                  follow_redirects=False).status_code == 303


def test_labels_and_the_login_target_are_escaped_in_pages(world: World) -> None:
    c = TestClient(_app(world))
    r = c.get('/login?next=/"><script>alert(1)</script>')
    assert "<script>alert(1)" not in r.text
    login(c)
    page = c.get("/patients/dev-000").text
    token = re.search(r'name="csrftoken" value="([^"]+)"', page).group(1)
    c.post("/patients/dev-000/label", data={"label": "<img src=x onerror=alert(1)>",
                                            "csrftoken": token})
    for html in (c.get("/").text, c.get("/patients/dev-000").text):
        assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
