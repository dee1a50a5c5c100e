"""Reading the store: ``documents list``, ``documents show`` and ``documents search``.

Owns the three read-only document commands, printed as Rich tables and text
or, with ``--json``, as JSON lines for scripts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from policywatch.cli.app import (
    console,
    documents_app,
    parse_date,
    print_json_lines,
)
from policywatch.config import get_settings
from policywatch.errors import PolicyWatchError
from policywatch.store import connect, queries, session_scope


def _fmt_date(value: datetime | None) -> str:
    return value.date().isoformat() if value else "—"


@documents_app.command("list")
def documents_list(
    publisher: Annotated[str | None, typer.Option(help="Publisher slug, e.g. ofsted.")] = None,
    since: Annotated[
        str | None, typer.Option(help="Only published on or after YYYY-MM-DD.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many to show.")] = 25,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines instead.")] = False,
) -> None:
    """List stored documents, newest first.

    Example: policywatch documents list --publisher department-for-education --since 2023-01-01
    """
    engine = connect(get_settings())
    with session_scope(engine) as session:
        rows = queries.list_documents(
            session, publisher=publisher, since=parse_date(since), limit=limit
        )
    if as_json:
        print_json_lines(row.__dict__ for row in rows)
        return
    table = Table(title=f"{len(rows)} documents")
    for column in ("id", "published", "publisher", "type", "v", "title"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row.id),
            _fmt_date(row.first_published_at),
            row.publisher or "—",
            row.document_type,
            str(row.latest_version),
            row.title,
        )
    console.print(table)


@documents_app.command("show")
def documents_show(
    ref: Annotated[str, typer.Argument(help="Document id or canonical URL.")],
    versions: Annotated[bool, typer.Option(help="Show every version's change note.")] = True,
    body: Annotated[bool, typer.Option(help="Print the latest body text.")] = True,
) -> None:
    """Show one document: metadata, versions and body.

    Example: policywatch documents show 12
    """
    engine = connect(get_settings())
    with session_scope(engine) as session:
        document = queries.get_document(session, ref=ref)
        if document is None:
            raise PolicyWatchError(f"no document {ref!r} (try `policywatch documents list`)")
        history = queries.document_versions(session, document_id=document.id)  # type: ignore[arg-type]
        publishers = queries.document_publishers(session, document_id=document.id)  # type: ignore[arg-type]
    console.print(f"[bold]{document.title}[/]")
    console.print(f"{document.canonical_url}")
    console.print(
        f"{document.document_type} · published {_fmt_date(document.first_published_at)} · "
        f"updated {_fmt_date(document.public_updated_at)} · "
        f"by {', '.join(p.title for p in publishers) or 'unknown'}"
    )
    if document.withdrawn_at:
        console.print(f"[red]Withdrawn {_fmt_date(document.withdrawn_at)}[/]")
    if versions:
        for version in history:
            note = version.change_note or ""
            unseen = (
                "" if version.body_known else "  [dim](from the change history; text not seen)[/]"
            )
            console.print(
                f"  v{version.version_no} {_fmt_date(version.published_at)} {note}{unseen}"
            )
    if body and history:
        console.print()
        console.print(history[-1].body_text, markup=False, highlight=False)


@documents_app.command("search")
def documents_search(
    query: Annotated[str, typer.Argument(help='Words, "quoted phrases", -excluded words.')],
    limit: Annotated[int, typer.Option(min=1, help="How many results.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines instead.")] = False,
) -> None:
    """Full-text search over titles and bodies, best match first.

    Example: policywatch documents search '"children\'s homes" capital -scotland'
    """
    engine = connect(get_settings())
    with session_scope(engine) as session:
        hits = queries.search_documents(session, query=query, limit=limit)
    if as_json:
        print_json_lines(hit.__dict__ for hit in hits)
        return
    if not hits:
        console.print(f"No documents match {query!r}.")
        return
    for hit in hits:
        console.print(
            f"[bold]{hit.document_id}[/] {_fmt_date(hit.first_published_at)} "
            f"{hit.publisher or '—'}  [bold]{hit.title}[/]  ({hit.score:.2f})"
        )
        console.print(f"    {hit.snippet}", markup=False, highlight=False)
