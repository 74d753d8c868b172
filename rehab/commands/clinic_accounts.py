"""``rehab clinic user add|remove|list`` and ``rehab clinic token add|remove|list``: the
web application's therapist accounts and integration tokens, kept in the clinic store.

Registered by :mod:`rehab.commands.clinic` (this module has no ``register`` of its own).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from rehab.errors import UsageError


def add_parsers(csub: Any, data_dir: Callable[[argparse.ArgumentParser], None]) -> None:
    """The ``user`` and ``token`` parsers; ``data_dir(q)`` adds --data-dir (and --db)."""
    q = csub.add_parser("user", help="therapist accounts of the web application")
    usub = q.add_subparsers(dest="user_cmd", metavar="ACTION", required=True)
    q = usub.add_parser("add", help="add an account; the password is read from stdin")
    q.add_argument("name", help="the name typed at /login (the audit's actor)")
    q.add_argument("--password-stdin", action="store_true", required=True,
                   help="read the password from the first line of stdin")
    data_dir(q)
    q.set_defaults(func=user_add)
    q = usub.add_parser("remove", help="remove an account (its sessions end)")
    q.add_argument("name", help="the account's name (`rehab clinic user list`)")
    data_dir(q)
    q.set_defaults(func=user_remove)
    q = usub.add_parser("list", help="list accounts")
    data_dir(q)
    q.set_defaults(func=user_list)

    q = csub.add_parser("token", help="API tokens for EHR integrations (FHIR read API)")
    tsub = q.add_subparsers(dest="token_cmd", metavar="ACTION", required=True)
    q = tsub.add_parser("add", help="make a token; printed once, stored hashed")
    q.add_argument("name", help="the integration's name (the audit's actor: token:NAME)")
    data_dir(q)
    q.set_defaults(func=token_add)
    q = tsub.add_parser("remove", help="revoke a token")
    q.add_argument("name", help="the token's name (`rehab clinic token list`)")
    data_dir(q)
    q.set_defaults(func=token_remove)
    q = tsub.add_parser("list", help="list token names")
    data_dir(q)
    q.set_defaults(func=token_list)


def _engine(args: argparse.Namespace) -> tuple[Any, Any]:
    """(store, engine) of the clinic store in --data-dir (or --db); opening it migrates."""
    from rehab.commands.clinic import _cfg, open_clinic_store

    store = open_clinic_store(_cfg(args), args)
    return store, store.engine


def _run(args: argparse.Namespace, action: Callable[[Any], None]) -> int:
    from clinic.accounts import AccountError

    store, engine = _engine(args)
    try:
        action(engine)
    except AccountError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        store.close()
    return 0


def user_add(args: argparse.Namespace) -> int:
    from clinic.accounts import Accounts

    line = sys.stdin.readline()
    password = line[:-1] if line.endswith("\n") else line
    if password.endswith("\r"):
        password = password[:-1]
    _run(args, lambda e: Accounts(e).add(args.name, password))
    print(f"user {args.name} added")
    return 0


def user_remove(args: argparse.Namespace) -> int:
    from clinic.accounts import Accounts

    _run(args, lambda e: Accounts(e).remove(args.name))
    print(f"user {args.name} removed")
    return 0


def user_list(args: argparse.Namespace) -> int:
    from clinic.accounts import Accounts

    return _run(args, lambda e: print("\n".join(Accounts(e).names())))


def token_add(args: argparse.Namespace) -> int:
    from clinic.tokens import Tokens

    def add(engine: Any) -> None:
        token = Tokens(engine).add(args.name)
        print(token)
        print(f"token {args.name}: shown once, keep it in the integration's secret store",
              file=sys.stderr)

    return _run(args, add)


def token_remove(args: argparse.Namespace) -> int:
    from clinic.tokens import Tokens

    _run(args, lambda e: Tokens(e).remove(args.name))
    print(f"token {args.name} removed")
    return 0


def token_list(args: argparse.Namespace) -> int:
    from clinic.tokens import Tokens

    return _run(args, lambda e: print("\n".join(Tokens(e).names())))
