"""`toolsmith users …` and `toolsmith tokens …`, and the owner `toolsmith serve` makes on first start."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from app.accounts import SIGNIN_LINK_LIFETIME, Accounts, UserRecord
from app.errors import BadRequest
from app.settings import Settings
from app.storage import Store

FIRST_USER = "owner"


@asynccontextmanager
async def opened_accounts(settings: Settings) -> AsyncIterator[tuple[Store, Accounts]]:
    """The database, migrated, without touching generations a running server may own."""
    store = Store.from_url(settings.resolved_database_url)
    try:
        await store.migrate()
        yield store, Accounts(store.engine)
    finally:
        await store.close()


def signin_url(settings: Settings, token: str, address: str | None = None) -> str:
    """The sign-in link at the address people reach: the public URL setting, else the one the
    running server started at (`address`), else the default."""
    base = settings.public_url or address or settings.resolved_public_url
    return f"{base.rstrip('/')}/signin/{token}"


async def first_start(accounts: Accounts) -> tuple[UserRecord, str] | None:
    """A one-time sign-in link while nobody has a password yet (a fresh single-person install).

    With no user at all, this makes the owner first, who also gets every app made
    before accounts existed. Once anyone has a password, links come only from
    `toolsmith users link`.
    """
    listed = await accounts.list_users()
    if any(user.has_password for user, _ in listed):
        return None
    if listed:
        user = listed[0][0]
    else:
        try:
            user = await accounts.create_user(FIRST_USER)
        except BadRequest:  # another process made it at the same moment
            user = await accounts.get_user_by_name(FIRST_USER)
    await accounts.claim_ownerless_apps(user.id)
    return user, await accounts.create_signin_link(user.id)


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser], database: argparse.ArgumentParser) -> None:
    users = commands.add_parser("users", help="add, list and remove users", description="Manage who can sign in.")
    user_cmds = users.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = user_cmds.add_parser("add", parents=[database], help="add a user", description="Add a user. Asks for the password unless told otherwise.")
    add.add_argument("name", help="user name: letters, digits, and . _ -")
    add.add_argument("--display-name", help="name shown on their shared apps (default: the user name)")
    how = add.add_mutually_exclusive_group()
    how.add_argument("--password-stdin", action="store_true", help="read the password from the first line of standard input")
    how.add_argument("--no-password", action="store_true", help="no password: print a one-time sign-in link instead")
    user_cmds.add_parser("list", parents=[database], help="list users", description="List users, with how many apps each owns.")
    remove = user_cmds.add_parser("remove", parents=[database], help="remove a user and their apps", description="Remove a user with their apps, share links, sessions and tokens.")
    remove.add_argument("name")
    remove.add_argument("--yes", action="store_true", help="remove them even though they own apps")
    link = user_cmds.add_parser("link", parents=[database], help="print a one-time sign-in link", description=f"Print a link that signs NAME in once, within {int(SIGNIN_LINK_LIFETIME.total_seconds() // 60)} minutes.")
    link.add_argument("name")
    password = user_cmds.add_parser("password", parents=[database], help="set a user's password", description="Set a new password; the user's sessions end.")
    password.add_argument("name")
    password.add_argument("--password-stdin", action="store_true", help="read the password from the first line of standard input")

    tokens = commands.add_parser("tokens", help="make, list and revoke API tokens", description="API tokens let scripts use the API: send one as “Authorization: Bearer TOKEN”.")
    token_cmds = tokens.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = token_cmds.add_parser("create", parents=[database], help="make a token and print it", description="Make an API token and print it; it is shown only this once.")
    create.add_argument("--user", help="whose token (default: the only user)")
    create.add_argument("--name", default="", help="what it is for, to recognise it in the list")
    create.add_argument("--expires-days", type=int, help="days until it stops working (default: never)")
    listing = token_cmds.add_parser("list", parents=[database], help="list tokens", description="List API tokens (never their secrets).")
    listing.add_argument("--user", help="only this user's tokens")
    revoke = token_cmds.add_parser("revoke", parents=[database], help="revoke a token", description="Revoke a token by its id, as `toolsmith tokens list` shows it.")
    revoke.add_argument("id")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise BadRequest("Give the password on standard input with --password-stdin, or use --no-password and a sign-in link.")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Same password again: ") != first:
        raise BadRequest("The two passwords differ; nothing was changed.")
    return first


async def user_for(accounts: Accounts, name: str | None) -> UserRecord:
    if name:
        return await accounts.get_user_by_name(name)
    listed = await accounts.list_users()
    if not listed:
        raise BadRequest("There is no user yet: start `toolsmith serve` once (it makes the owner), or `toolsmith users add NAME`.")
    if len(listed) > 1:
        raise BadRequest("Name the user with --user NAME (`toolsmith users list` shows them).")
    return listed[0][0]


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value else "-"


async def run(settings: Settings, args: argparse.Namespace) -> None:
    """One `users` or `tokens` command; errors are BadRequest/NotFound with a message for the person."""
    async with opened_accounts(settings) as (_, accounts):
        if args.command == "users":
            await _users(settings, accounts, args)
        else:
            await _tokens(accounts, args)


async def _users(settings: Settings, accounts: Accounts, args: argparse.Namespace) -> None:
    if args.action == "add":
        password = None if args.no_password else _read_password(args.password_stdin)
        user = await accounts.create_user(args.name, display_name=args.display_name, password=password)
        print(f"Added {user.username}.")
        if password is None:
            print(f"They sign in once with {signin_url(settings, await accounts.create_signin_link(user.id), await accounts.address())}")
    elif args.action == "list":
        listed = await accounts.list_users()
        print(f"{'user':<24} {'display name':<24} {'apps':>5}  {'password':<8}  created")
        for user, apps in listed:
            print(f"{user.username:<24} {user.display_name[:24]:<24} {apps:>5}  {'yes' if user.has_password else 'no':<8}  {_when(user.created_at)}")
    elif args.action == "remove":
        user = await accounts.get_user_by_name(args.name)
        owned = next(n for u, n in await accounts.list_users() if u.id == user.id)
        if owned and not args.yes:
            raise BadRequest(f"{user.username} owns {owned} app{'s' if owned != 1 else ''}, which would be removed too. Add --yes to remove them.")
        await accounts.remove_user(user.id)
        print(f"Removed {user.username} and {owned} app{'s' if owned != 1 else ''}.")
    elif args.action == "link":
        user = await accounts.get_user_by_name(args.name)
        print(signin_url(settings, await accounts.create_signin_link(user.id), await accounts.address()))
    elif args.action == "password":
        user = await accounts.get_user_by_name(args.name)
        await accounts.set_password(user.id, _read_password(args.password_stdin))
        print(f"Set the password of {user.username}; their sessions have ended.")


async def _tokens(accounts: Accounts, args: argparse.Namespace) -> None:
    if args.action == "create":
        user = await user_for(accounts, args.user)
        if args.expires_days is not None and args.expires_days < 1:
            raise BadRequest("--expires-days must be at least 1.")
        expires = datetime.now(UTC) + timedelta(days=args.expires_days) if args.expires_days else None
        record, secret = await accounts.create_token(user.id, args.name, expires)
        print(secret)
        print(f"API token {record.id} for {user.username}; it is shown only this once.", file=sys.stderr)
    elif args.action == "list":
        owner = await accounts.get_user_by_name(args.user) if args.user else None
        names = {u.id: u.username for u, _ in await accounts.list_users()}
        print(f"{'id':<17} {'user':<16} {'name':<24} {'state':<8} {'created':<16} {'last used':<16} expires")
        for token in await accounts.list_tokens(owner.id if owner else None):
            print(
                f"{token.id:<17} {names.get(token.user_id, '?'):<16} {token.name[:24]:<24} {token.state():<8} "
                f"{_when(token.created_at):<16} {_when(token.last_used_at):<16} {_when(token.expires_at)}"
            )
    elif args.action == "revoke":
        record = await accounts.revoke_token(args.id)
        print(f"Revoked API token {record.id}.")
