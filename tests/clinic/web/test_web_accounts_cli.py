"""``rehab clinic user add|remove|list`` and ``rehab clinic token add|remove|list`` on a real
clinic store: the password comes from stdin and is stored as an Argon2id hash, a token is
printed once and stored as its SHA-256, mistakes are one line on stderr with exit 2."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from clinic.accounts import Accounts, LoginOutcome
from clinic.store import open_store
from clinic.tokens import Tokens
from clinic.web_schema import web_tokens, web_users
from rehab.cli import main


def _run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str,
         stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    rc = main(["clinic", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_users_are_added_listed_and_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    d = str(tmp_path)
    rc, out, _ = _run(monkeypatch, capsys, "user", "add", "ann", "--password-stdin",
                      "--data-dir", d, stdin="correct horse battery\n")
    assert rc == 0 and "ann" in out
    _run(monkeypatch, capsys, "user", "add", "bob", "--password-stdin", "--data-dir", d,
         stdin="another long secret\r\n")
    assert _run(monkeypatch, capsys, "user", "list", "--data-dir", d)[1].split() == ["ann", "bob"]
    store = open_store(tmp_path)
    try:
        with store.engine.connect() as conn:
            hashes = list(conn.scalars(select(web_users.c.password_hash)))
        assert all(h.startswith("$argon2id$") for h in hashes)
        assert "correct horse battery" not in "".join(hashes)
        accounts = Accounts(store.engine)
        assert accounts.login("ann", "correct horse battery").outcome is LoginOutcome.OK
        assert accounts.login("bob", "another long secret").outcome is LoginOutcome.OK
    finally:
        store.close()
    assert _run(monkeypatch, capsys, "user", "remove", "bob", "--data-dir", d)[0] == 0
    assert _run(monkeypatch, capsys, "user", "list", "--data-dir", d)[1].split() == ["ann"]


@pytest.mark.parametrize("argv, stdin, message", [
    (("user", "add", "ann", "--password-stdin"), "short\n", "10 to 1024 characters"),
    (("user", "add", "an n", "--password-stdin"), "correct horse battery\n", "username"),
    (("user", "remove", "nobody"), "", "no user 'nobody'"),
    (("token", "remove", "nobody"), "", "no token 'nobody'"),
])
def test_mistakes_are_one_line_and_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str], argv: tuple[str, ...],
                                          stdin: str, message: str) -> None:
    open_store(tmp_path).close()  # the clinic's store exists (a new one is said on stderr)
    rc, _out, err = _run(monkeypatch, capsys, *argv, "--data-dir", str(tmp_path), stdin=stdin)
    assert rc == 2 and message in err and err.count("\n") == 1 and "Traceback" not in err


def test_a_duplicate_user_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    args = ("user", "add", "ann", "--password-stdin", "--data-dir", str(tmp_path))
    assert _run(monkeypatch, capsys, *args, stdin="correct horse battery\n")[0] == 0
    rc, _o, err = _run(monkeypatch, capsys, *args, stdin="something else entirely\n")
    assert rc == 2 and "exists" in err


def test_a_token_is_printed_once_and_stored_hashed(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _run(monkeypatch, capsys, "token", "add", "ehr", "--data-dir", str(tmp_path))
    token = out.strip()
    assert rc == 0 and token.startswith("rk_") and len(token) > 40 and "shown once" in err
    store = open_store(tmp_path)
    try:
        with store.engine.connect() as conn:
            stored = conn.execute(select(web_tokens)).all()
        assert len(stored) == 1 and token not in str(stored[0])
        assert Tokens(store.engine).who(token) == "ehr"
        assert Tokens(store.engine).who(token[:-1] + "x") is None
    finally:
        store.close()
    assert _run(monkeypatch, capsys, "token", "list", "--data-dir", str(tmp_path))[1] == "ehr\n"


def test_the_store_in_rehab_toml_is_the_one_every_tool_opens(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        pg_cluster) -> None:  # type: ignore[no-untyped-def]
    """A clinic on PostgreSQL: with ``db`` in the data dir's rehab.toml, ``user add`` (no
    --db) adds the therapist to that database, where serve logs them in. Without it, an
    admin's ``user add`` made a SQLite clinic.db beside it, said "added", and the login
    failed; a new SQLite store is now said on stderr."""
    url = pg_cluster.create_database()
    d = tmp_path / "clinic"
    d.mkdir()
    (d / "rehab.toml").write_text(f'clinic = "c1"\ndb = "{url}"\n')
    rc, out, err = _run(monkeypatch, capsys, "user", "add", "ann", "--password-stdin",
                        "--data-dir", str(d), stdin="correct horse battery\n")
    assert rc == 0 and "ann" in out and "SQLite" not in err
    assert not (d / "clinic.db").exists()
    store = open_store(d, url)
    try:
        assert Accounts(store.engine).login("ann", "correct horse battery").outcome \
            is LoginOutcome.OK
    finally:
        store.close()
    plain = tmp_path / "sqlite-clinic"
    rc, _out, err = _run(monkeypatch, capsys, "user", "add", "bob", "--password-stdin",
                         "--data-dir", str(plain), stdin="another long secret\n")
    assert rc == 0 and (plain / "clinic.db").exists()
    assert "no store in" in err and "making clinic.db (SQLite)" in err
    _run(monkeypatch, capsys, "user", "list", "--data-dir", str(plain))
    assert "no store in" not in capsys.readouterr().err  # said once, when made
    (d / "rehab.toml").write_text("db = 5\n")
    rc, _out, err = _run(monkeypatch, capsys, "user", "list", "--data-dir", str(d))
    assert rc == 2 and "db must be a string" in err
