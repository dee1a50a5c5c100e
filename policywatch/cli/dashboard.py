"""The ``dashboard`` command and the ``users`` commands for reviewer accounts.

``dashboard`` serves the web dashboard and JSON API on the configured store;
``users add/list/disable`` manage the reviewers who may confirm or dismiss
signals (the dashboard has no sign-up: an administrator creates accounts
here). Both are thin layers over ``dashboards.serve`` and ``dashboards.users``.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from policywatch.cli.app import app, console
from policywatch.config import get_settings
from policywatch.store import connect, session_scope

users_app = typer.Typer(
    help="Reviewer accounts for the dashboard.\n\nExample: policywatch users add alice"
)
app.add_typer(users_app, name="users", no_args_is_help=True)


@app.command()
def dashboard(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
) -> None:
    """Serve the dashboard (timeline, signals, search) and the JSON API on the store.

    Reads are public; reviewers sign in to confirm or dismiss signals. Set
    POLICYWATCH_DASHBOARD_HTTPS=1 behind HTTPS. Stop with Ctrl-C.

    Example: policywatch dashboard --port 8000
    """
    from dashboards.serve import serve

    serve(
        get_settings(),
        host=host,
        port=port,
        announce=lambda url: console.print(f"Dashboard at [bold]{url}[/] (Ctrl-C stops it)"),
    )


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Lower-case name the reviewer signs in with.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a reviewer account, or set a new password for an existing one.

    The password is asked for twice (or read from stdin) and stored only as
    an argon2 hash.

    Example: policywatch users add alice
    """
    from dashboards.users import add_user

    password = _read_password(password_stdin)
    with session_scope(connect(get_settings())) as session:
        user = add_user(session, username=username, password=password)
        console.print(f"Reviewer [bold]{user.username}[/] can now sign in.")


@users_app.command("list")
def users_list() -> None:
    """List reviewer accounts and when each last signed in.

    Example: policywatch users list
    """
    from dashboards.users import list_users

    with session_scope(connect(get_settings())) as session:
        users = list_users(session)
        table = Table("username", "active", "created", "last sign-in")
        for user in users:
            table.add_row(
                user.username,
                "yes" if user.active else "no",
                f"{user.created_at:%Y-%m-%d}",
                f"{user.last_login_at:%Y-%m-%d %H:%M}" if user.last_login_at else "never",
            )
    if not users:
        console.print("No reviewers yet: add one with `policywatch users add NAME`.")
        return
    console.print(table)


@users_app.command("disable")
def users_disable(
    username: Annotated[str, typer.Argument(help="The reviewer to stop.")],
) -> None:
    """Stop a reviewer signing in; their past decisions stay attributed to them.

    Example: policywatch users disable alice
    """
    from dashboards.users import deactivate_user

    with session_scope(connect(get_settings())) as session:
        deactivate_user(session, username=username)
    console.print(f"Reviewer [bold]{username}[/] can no longer sign in.")
