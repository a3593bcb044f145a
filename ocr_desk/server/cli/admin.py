"""``init``, ``company add|list|plan`` and ``user add|revoke``."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TextIO

from ..config import DEFAULT_PLANS, ServerConfig
from ..database import open_database
from ._base import data_dir_of, open_server

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    init = sub.add_parser("init", help="create the data dir, server.json and the database")
    init.set_defaults(handler=cmd_init)

    company = sub.add_parser("company", help="add or list companies").add_subparsers(
        dest="company_command", metavar="ACTION", required=True
    )
    add = company.add_parser("add", help="add a company")
    add.add_argument("name")
    add.add_argument("--plan", choices=sorted(DEFAULT_PLANS), default="free")
    add.set_defaults(handler=cmd_company_add)
    plan = company.add_parser("plan", help="change a company's plan")
    plan.add_argument("name")
    plan.add_argument("--plan", choices=sorted(DEFAULT_PLANS), required=True)
    plan.set_defaults(handler=cmd_company_plan)
    company.add_parser("list", help="list companies").set_defaults(handler=cmd_company_list)

    user = sub.add_parser("user", help="add or revoke users").add_subparsers(
        dest="user_command", metavar="ACTION", required=True
    )
    uadd = user.add_parser("add", help="add a user; prints their API token once")
    uadd.add_argument("email")
    uadd.add_argument("--company", required=True, metavar="NAME")
    group = uadd.add_mutually_exclusive_group()
    group.add_argument("--password", help="lets the desktop app sign in with email + password")
    group.add_argument("--password-prompt", action="store_true", help="ask for the password")
    uadd.set_defaults(handler=cmd_user_add)
    revoke = user.add_parser("revoke", help="revoke a user and all their tokens")
    revoke.add_argument("email")
    revoke.set_defaults(handler=cmd_user_revoke)


def cmd_init(args: argparse.Namespace, out: TextIO) -> int:
    folder = data_dir_of(args)
    config = ServerConfig.load(folder, database_url=args.database)
    if not (folder / "server.json").exists():
        config.save()
    open_database(config.resolved_database_url).close()
    (config.media_dir).mkdir(parents=True, exist_ok=True)
    where = config.database_url or "SQLite in the data dir"
    out.write(f"initialized {folder} (database: {where})\n")
    return 0


def cmd_company_add(args: argparse.Namespace, out: TextIO) -> int:
    with open_server(args) as ctx:
        company = ctx.accounts.add_company(args.name, plan=ctx.config.plan(args.plan).name)
    out.write(f"company {company.name} ({company.id}) on plan {company.plan}\n")
    return 0


def cmd_company_plan(args: argparse.Namespace, out: TextIO) -> int:
    with open_server(args) as ctx:
        company = ctx.accounts.set_plan(args.name, plan=ctx.config.plan(args.plan).name)
    out.write(f"company {company.name} is now on plan {company.plan}\n")
    return 0


def cmd_company_list(args: argparse.Namespace, out: TextIO) -> int:
    with open_server(args) as ctx:
        for company in ctx.accounts.companies():
            out.write(f"{company.id}  {company.plan:<10}  {company.name}\n")
    return 0


def cmd_user_add(args: argparse.Namespace, out: TextIO) -> int:
    password = args.password
    if args.password_prompt:
        password = getpass.getpass("password: ")
    with open_server(args) as ctx:
        _, token = ctx.accounts.add_user(args.email, company=args.company, password=password)
    out.write(f"user {args.email.strip().lower()} added to {args.company}\n")
    out.write(f"API token (shown once, keep it safe): {token}\n")
    if not password:
        print("no password set: the user signs in with the token only", file=sys.stderr)
    return 0


def cmd_user_revoke(args: argparse.Namespace, out: TextIO) -> int:
    with open_server(args) as ctx:
        count = ctx.accounts.revoke_user(args.email)
    out.write(f"user {args.email} revoked ({count} token(s))\n")
    return 0
