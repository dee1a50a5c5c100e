"""Import users' own documents: a JSONL file, a CSV file, or a folder of files.

A newsroom or a researcher often holds documents no crawler reaches: a FOI
disclosure, a council's PDF reports, a spreadsheet of announcements compiled by
hand. Each row (or file) is turned into the same record a spider writes and
stored through the same per-item path as a crawl
(:func:`policywatch.ingest.ingest_items`), so deduplication, versions and kept
errors behave exactly alike: a bad line becomes a counted ``ingesterror`` row
with its line number and the rest goes in; importing the same file again
changes nothing; a changed body makes a new version. The import is recorded as
a source of kind ``import`` (in the store only, never in sources.toml) with one
crawl run per import, so ``policywatch status`` lists it.

Columns (CSV header or JSONL keys): ``url``, ``title``, ``published`` (ISO date
or datetime), ``publisher`` (a slug; ``--publisher`` is the default),
``document_type`` (default ``import``), ``body_text`` and/or ``body_html``,
and optional ``description`` and ``external_id``. Folder files get them from
the file itself: see :func:`read_document_file`.
"""

from __future__ import annotations

import csv
import enum
import io
import json
import logging
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import Engine

from policywatch.config import Settings
from policywatch.errors import PolicyWatchError
from policywatch.ingest import (
    IngestReport,
    RawItem,
    RejectedItem,
    Rejection,
    ingest_items,
    parse_timestamp,
)
from policywatch.registry import load_sources
from policywatch.store import queries, session_scope, writes
from spiders.text import decode_bytes, html_to_text

log = logging.getLogger(__name__)

SOURCE_KIND = "import"
DEFAULT_DOCUMENT_TYPE = "import"

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
PDF_SUFFIXES = frozenset({".pdf"})
TEXT_SUFFIXES = frozenset({".txt", ".text"})
DOCUMENT_SUFFIXES = HTML_SUFFIXES | PDF_SUFFIXES | TEXT_SUFFIXES
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
CSV_SUFFIXES = frozenset({".csv"})

#: the columns an import understands; others are ignored (and listed for CSV)
COLUMNS = (
    "url",
    "title",
    "published",
    "publisher",
    "document_type",
    "body_text",
    "body_html",
    "description",
    "external_id",
)
#: field length limits of the store (PostgreSQL enforces them; SQLite would not)
MAX_LENGTHS = {"url": 1000, "title": 1000, "external_id": 200, "document_type": 100}
#: a title taken from a file's first line is cut to this many characters
DERIVED_TITLE_CHARS = 300
#: enough for any report; stops a pathological PDF from eating the import
MAX_PDF_PAGES = 300

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SOURCE_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_FULL_PAGE = re.compile(r"<\s*(?:!doctype|html|head|body)\b", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
#: PDF producers' placeholder titles, which say nothing about the document
_JUNK_PDF_TITLE = re.compile(
    r"^(?:microsoft (?:word|powerpoint|excel)\b|untitled\b)|\.(?:docx?|pdf|odt|rtf|pptx?)$",
    re.IGNORECASE,
)


class ImportFormat(enum.StrEnum):
    JSONL = "jsonl"
    CSV = "csv"
    FOLDER = "folder"


class PublishedFrom(enum.StrEnum):
    """Where a folder file's date comes from when the file itself states none."""

    MTIME = "mtime"


@dataclass(frozen=True)
class ImportProblem:
    """One row or file that was not stored: ``where`` is ``line 7`` or ``file a/b.pdf``."""

    where: str
    reason: str
    detail: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason} ({self.detail})"


@dataclass
class ImportReport:
    """What one import did: the ingest counts plus every rejected row or file."""

    path: Path
    format: ImportFormat
    source_key: str
    run_id: int
    status: str
    ingest: IngestReport
    problems: list[ImportProblem] = field(default_factory=list)
    #: folder files that are not HTML, PDF or text (relative paths)
    skipped: list[str] = field(default_factory=list)
    #: CSV columns the import does not understand
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def stored(self) -> int:
        """Rows that are in the store now (new, new version or already there)."""
        return sum(self.ingest.outcomes.values())

    @property
    def counts(self) -> dict[str, int]:
        return self.ingest.run_counts()


@dataclass(frozen=True)
class _Defaults:
    source_key: str
    publisher: str | None
    document_type: str
    published_from: PublishedFrom | None


@dataclass
class _Plan:
    """What an import will read, worked out before anything is stored."""

    total: int
    items: Iterator[RawItem]
    describe: Callable[[RawItem], str]
    skipped: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


# -- public helpers ----------------------------------------------------------


def detect_format(path: Path) -> ImportFormat:
    """The format by what ``path`` is: a folder, ``*.jsonl``, ``*.csv`` or one document file."""
    if path.is_dir():
        return ImportFormat.FOLDER
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return ImportFormat.JSONL
    if suffix in CSV_SUFFIXES:
        return ImportFormat.CSV
    if suffix in DOCUMENT_SUFFIXES:
        return ImportFormat.FOLDER
    raise PolicyWatchError(
        f"cannot tell the format of {path} from its name; pass --format jsonl, csv or folder"
    )


def default_source_key(path: Path) -> str:
    """``import-<name>``: the file's stem or the folder's name, as a slug."""
    name = path.resolve().name if path.is_dir() else path.stem
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "documents"
    return f"import-{slug}"[:200]


def row_to_record(
    row: Mapping[str, Any],
    *,
    source_key: str,
    publisher: str | None = None,
    document_type: str = DEFAULT_DOCUMENT_TYPE,
    warnings: Sequence[str] = (),
) -> dict[str, Any]:
    """Validate one row and turn it into the record :meth:`Ingester.store` takes.

    Raises :class:`RejectedItem` with a counted reason (``missing_title``,
    ``bad_date``, ``missing_body``...) for a row that cannot be a document.
    """
    values = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
    url = _text(values, "url")
    if not url:
        raise RejectedItem("missing_url", "no url")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https", "file"} or not (parts.netloc or parts.path):
        raise RejectedItem("bad_url", f"{url!r} is not an http(s) or file URL")
    title = " ".join(_text(values, "title").split())
    if not title:
        raise RejectedItem("missing_title", "no title")
    published_text = _text(values, "published")
    if not published_text:
        raise RejectedItem("missing_date", "no published date")
    published = parse_timestamp(published_text)
    if published is None:
        raise RejectedItem(
            "bad_date", f"{published_text!r} is not an ISO date (YYYY-MM-DD or a datetime)"
        )
    slug = _text(values, "publisher") or publisher or ""
    if not slug:
        raise RejectedItem("missing_publisher", "no publisher (add the column or --publisher)")
    if not _SLUG.match(slug) or len(slug) > 200:
        raise RejectedItem("bad_publisher", f"{slug!r} is not a slug like department-for-education")
    body_html = _text(values, "body_html", strip=False)
    body_text = _text(values, "body_text", strip=False).replace("\r\n", "\n").strip()
    if not body_text and body_html.strip():
        body_text = html_main_text(body_html)
    if not body_text:
        detail = "body_html has no text" if body_html.strip() else "no body_text or body_html"
        raise RejectedItem("missing_body", detail)
    record: dict[str, Any] = {
        "kind": "announcement",
        "source_key": source_key,
        "url": url,
        "external_id": _text(values, "external_id") or None,
        "title": title,
        "description": _text(values, "description"),
        "body_html": body_html,
        "body_text": body_text,
        "document_type": _text(values, "document_type") or document_type,
        "organisations": [{"slug": slug}],
        "first_published_at": published.isoformat(),
        "public_updated_at": published.isoformat(),
        "fetched_at": datetime.now(UTC).isoformat(),
        "warnings": list(warnings),
    }
    for key, limit in MAX_LENGTHS.items():
        value = record[key] or ""
        if len(value) > limit:
            raise RejectedItem("too_long", f"{key} has {len(value)} characters (at most {limit})")
    return record


def html_main_text(html: str) -> str:
    """The text of an HTML body: a fragment with lxml, a whole page's main text with trafilatura.

    A fragment (what JSONL rows usually carry) has no boilerplate, and lxml
    keeps one line per paragraph, as for GOV.UK bodies. A whole page has
    navigation and footers, which trafilatura removes; when it finds nothing
    (a very short page), the page's <body> is converted with lxml instead.
    """
    if not _FULL_PAGE.search(html[:2000]):
        return html_to_text(html)
    import lxml.html
    import trafilatura  # slow to import; only whole pages need it
    from lxml import etree

    html = _XML_DECLARATION.sub("", html, count=1)
    try:
        extracted = trafilatura.extract(
            html, include_tables=True, include_comments=False, favor_recall=True
        )
    except Exception:  # trafilatura gives up on some malformed pages; lxml still copes
        log.debug("trafilatura failed; using the whole body", exc_info=True)
        extracted = None
    if extracted and extracted.strip():
        return extracted.strip()
    try:
        body = lxml.html.document_fromstring(html).find(".//body")
    except (ValueError, etree.ParserError):
        return ""
    if body is None:
        return ""
    return html_to_text(lxml.html.tostring(body, encoding="unicode"))


def read_document_file(
    path: Path, *, published_from: PublishedFrom | None = None
) -> tuple[dict[str, Any], list[str]]:
    """A row (url, title, published, body) read from an HTML, PDF or text file, and warnings.

    - url: ``file://`` + the absolute path;
    - title: HTML <title> (else the first <h1>), the PDF's metadata title (else
      its first line), a text file's first line;
    - published: for HTML, the date the page states (htmldate, from its
      metadata and markup); otherwise, or when it states none, the file's
      modification time if ``published_from`` is ``mtime``; else no date, so
      the file is rejected;
    - body: HTML main text (trafilatura, lxml fallback), PDF text (pypdf),
      text decoded as UTF-8 with a Windows-1252 fallback.

    Raises :class:`RejectedItem` (``unreadable_file``...) for a file that cannot be read.
    """
    try:
        data = path.read_bytes()
        mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError as exc:
        raise RejectedItem("unreadable_file", f"{type(exc).__name__}: {exc.strerror}") from exc
    suffix = path.suffix.lower()
    warnings: list[str] = []
    published: str | None = None
    if suffix in HTML_SUFFIXES:
        row, published, warning = _read_html(data)
    elif suffix in PDF_SUFFIXES:
        row, warning = _read_pdf(data), None
    elif suffix in TEXT_SUFFIXES:
        row, warning = _read_text(data)
    else:
        raise RejectedItem("unreadable_file", f"not an HTML, PDF or text file: {path.name}")
    if warning:
        warnings.append(warning)
    if not published and published_from == PublishedFrom.MTIME:
        published = mtime.isoformat()
    if not published:
        raise RejectedItem(
            "missing_date",
            "the file states no date; pass --published-from mtime to use its modification time",
        )
    row.update(url=path.resolve().as_uri(), published=published)
    return row, warnings


def import_path(
    settings: Settings,
    engine: Engine,
    path: Path,
    *,
    publisher: str | None = None,
    source_key: str | None = None,
    document_type: str = DEFAULT_DOCUMENT_TYPE,
    fmt: ImportFormat | str | None = None,
    published_from: PublishedFrom | str | None = None,
    on_start: Callable[[int], None] | None = None,
    on_item: Callable[[], None] | None = None,
) -> ImportReport:
    """Import a JSONL file, a CSV file or a folder into the store, as one recorded run.

    Bad rows and files are kept as errors and listed in the report's
    ``problems``; they never stop the import. Raises :class:`PolicyWatchError`
    only when nothing can be read at all (no such path, an unknown format, a
    CSV without the needed columns, nothing in the file or folder).
    ``on_start`` gets the number of items, ``on_item`` is called after each.
    """
    if not path.exists():
        raise PolicyWatchError(f"no such file or folder: {path}")
    fmt = ImportFormat(fmt) if fmt else detect_format(path)
    if publisher and not _SLUG.match(publisher):
        raise PolicyWatchError(
            f"--publisher {publisher!r} is not a slug (e.g. department-for-education)"
        )
    key = source_key or default_source_key(path)
    if not _SOURCE_KEY.match(key) or len(key) > 200:
        raise PolicyWatchError(
            f"source key {key!r} must be lower-case letters, digits, '-', '_' or '.'"
        )
    _check_source_key_free(settings, key, explicit=source_key is not None)
    defaults = _Defaults(
        source_key=key,
        publisher=publisher,
        document_type=document_type or DEFAULT_DOCUMENT_TYPE,
        published_from=PublishedFrom(published_from) if published_from else None,
    )
    plan = _plan(path, fmt, defaults)

    with session_scope(engine) as session:
        existing = queries.get_source(session, key=key)
        if existing is not None and existing.kind != SOURCE_KIND:
            raise PolicyWatchError(
                f"source key {key!r} belongs to a {existing.kind} source; pass --source-key"
            )
        writes.upsert_source(
            session,
            key=key,
            kind=SOURCE_KIND,
            title=f"Imported from {path.name}",
            base_url=path.resolve().as_uri(),
            config={
                "path": str(path.resolve()),
                "format": str(fmt),
                "publisher": publisher,
                "document_type": defaults.document_type,
                "published_from": str(defaults.published_from or ""),
            },
        )
        run = writes.start_crawl_run(session, source_key=key, raw_path=str(path.resolve()))
        run_id: int = run.id  # type: ignore[assignment]

    problems: list[ImportProblem] = []

    def on_reject(rejection: Rejection) -> None:
        problems.append(
            ImportProblem(plan.describe(rejection.item), rejection.reason, rejection.detail)
        )

    if on_start:
        on_start(plan.total)
    try:
        with session_scope(engine) as session:
            report = ingest_items(
                session,
                items=plan.items,
                source_key=key,
                crawl_run_id=run_id,
                on_line=on_item,
                on_reject=on_reject,
            )
    except BaseException as exc:  # leave no run "running" forever
        with session_scope(engine) as session:
            writes.finish_crawl_run(
                session, run_id=run_id, status="failed", message=f"{type(exc).__name__}: {exc}"
            )
        raise

    stored = sum(report.outcomes.values())
    status = "partial" if stored else "failed"
    if not report.rejected_total:
        status = "succeeded"
    with session_scope(engine) as session:
        writes.finish_crawl_run(
            session,
            run_id=run_id,
            status=status,
            counts=report.run_counts(),
            error_summary=report.error_summary(),
            message=f"import of {path.resolve()} ({fmt})",
        )
    return ImportReport(
        path=path,
        format=fmt,
        source_key=key,
        run_id=run_id,
        status=status,
        ingest=report,
        problems=problems,
        skipped=plan.skipped,
        ignored_columns=plan.ignored_columns,
    )


# -- reading each format -----------------------------------------------------


def _check_source_key_free(settings: Settings, key: str, *, explicit: bool) -> None:
    """Imports must not write into a configured crawl source: its runs drive incremental crawls."""
    try:
        configured = {s.key for s in load_sources(settings.resolved_sources_file)}
    except PolicyWatchError:  # a broken sources file is the crawl's problem, not the import's
        return
    if key in configured:
        hint = "choose another --source-key" if explicit else "pass --source-key"
        raise PolicyWatchError(f"{key!r} is a configured crawl source; {hint}")


def _plan(path: Path, fmt: ImportFormat, defaults: _Defaults) -> _Plan:
    if fmt == ImportFormat.FOLDER:
        return _plan_folder(path, defaults)
    if path.is_dir():
        raise PolicyWatchError(f"{path} is a folder; use --format folder (or leave --format out)")
    if fmt == ImportFormat.JSONL:
        return _plan_jsonl(path, defaults)
    return _plan_csv(path, defaults)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PolicyWatchError(f"cannot read {path}: {exc.strerror}") from exc


def _line_label(item: RawItem) -> str:
    return f"line {item.line_no}"


def _to_record(row: Mapping[str, Any], defaults: _Defaults, warnings: Sequence[str]) -> dict:
    return row_to_record(
        row,
        source_key=defaults.source_key,
        publisher=defaults.publisher,
        document_type=defaults.document_type,
        warnings=warnings,
    )


def _plan_jsonl(path: Path, defaults: _Defaults) -> _Plan:
    """One JSON object per line; each line decoded on its own (UTF-8, else Windows-1252)."""
    data = _read_bytes(path)
    total = sum(1 for line in data.split(b"\n") if line.strip())
    if not total:
        raise PolicyWatchError(f"{path} holds no lines to import")

    def items() -> Iterator[RawItem]:
        for line_no, raw in enumerate(data.split(b"\n"), start=1):
            if not raw.strip():
                continue
            text, warning = decode_bytes(raw)
            if line_no == 1:
                text = text.removeprefix("\ufeff")
            warnings = [warning] if warning else []
            yield RawItem(
                raw_path=str(path),
                line_no=line_no,
                payload=text.rstrip("\r\n"),
                load=lambda text=text, warnings=warnings: _to_record(
                    _json_object(text), defaults, warnings
                ),
            )

    return _Plan(total=total, items=items(), describe=_line_label)


def _json_object(text: str) -> dict[str, Any]:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise RejectedItem("not_an_object", "line is JSON but not an object")
    return value


def _plan_csv(path: Path, defaults: _Defaults) -> _Plan:
    """A header row, then one document per record; quoted cells may hold commas and newlines.

    Line numbers are where each record starts in the file, as an editor shows them.
    """
    text, warning = decode_bytes(_read_bytes(path))
    warnings = [warning] if warning else []
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header: list[str] | None = None
    rows: list[tuple[int, list[str] | None, str]] = []  # (line, cells, csv error)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # the rest of the file cannot be split reliably
            rows.append((start, None, str(exc)))
            break
        line_no, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header = [cell.strip().lower() for cell in cells]
            continue
        rows.append((line_no, cells, ""))
    if header is None:
        raise PolicyWatchError(f"{path} is empty: expected a header row ({', '.join(COLUMNS)})")
    missing = [c for c in ("url", "title", "published") if c not in header]
    if "body_text" not in header and "body_html" not in header:
        missing.append("body_text or body_html")
    if "publisher" not in header and not defaults.publisher:
        missing.append("publisher (or pass --publisher)")
    if missing:
        raise PolicyWatchError(
            f"{path.name} has no {', '.join(missing)} column; its header is: {', '.join(header)}"
        )
    if not rows:
        raise PolicyWatchError(f"{path} has a header but no rows to import")
    assert header is not None
    columns = header

    def load(cells: list[str] | None, error: str) -> dict[str, Any]:
        if cells is None:
            raise RejectedItem("bad_csv", f"cannot read the rest of the file: {error}")
        if len(cells) < len(columns):
            raise RejectedItem(
                "csv_column_missing",
                f"row has {len(cells)} of {len(columns)} columns; "
                f"missing {', '.join(columns[len(cells) :])}",
            )
        if len(cells) > len(columns):
            raise RejectedItem(
                "csv_extra_column", f"row has {len(cells)} cells but the header {len(columns)}"
            )
        return _to_record(dict(zip(columns, cells, strict=True)), defaults, warnings)

    def items() -> Iterator[RawItem]:
        for line_no, cells, error in rows:
            if cells is None:
                payload = error
            elif len(cells) > len(columns):  # keep every cell: nothing is lost
                payload = json.dumps({"cells": cells}, ensure_ascii=False)
            else:
                payload = json.dumps(dict(zip(columns, cells, strict=False)), ensure_ascii=False)
            yield RawItem(
                raw_path=str(path),
                line_no=line_no,
                payload=payload,
                load=lambda cells=cells, error=error: load(cells, error),
            )

    return _Plan(
        total=len(rows),
        items=items(),
        describe=_line_label,
        ignored_columns=[c for c in header if c and c not in COLUMNS],
    )


def _plan_folder(path: Path, defaults: _Defaults) -> _Plan:
    """Every HTML, PDF and text file under ``path`` (or ``path`` itself), in name order."""
    if defaults.publisher is None:
        raise PolicyWatchError("files name no publisher: pass --publisher SLUG")
    if path.is_dir():
        root = path
        found = _walk(path)
    else:
        root, found = path.parent, [path]
    files = [f for f in found if f.suffix.lower() in DOCUMENT_SUFFIXES]
    skipped = [
        f.relative_to(root).as_posix() for f in found if f.suffix.lower() not in DOCUMENT_SUFFIXES
    ]
    if not files:
        raise PolicyWatchError(f"no HTML, PDF or text files in {path}")

    def describe(item: RawItem) -> str:
        file = Path(item.raw_path)
        return f"file {file.relative_to(root).as_posix() if file.is_relative_to(root) else file}"

    def load(file: Path) -> dict[str, Any]:
        row, warnings = read_document_file(file, published_from=defaults.published_from)
        return _to_record(row, defaults, warnings)

    def items() -> Iterator[RawItem]:
        for file in files:
            payload = json.dumps({"file": str(file.resolve())}, ensure_ascii=False)
            yield RawItem(
                raw_path=str(file),
                line_no=None,
                payload=payload,
                load=lambda file=file: load(file),
            )

    return _Plan(total=len(files), items=items(), describe=describe, skipped=skipped)


def _walk(root: Path) -> list[Path]:
    """Files under ``root``, sorted, skipping hidden files and folders."""
    found: list[Path] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [Path(folder) / n for n in sorted(names) if not n.startswith(".")]
    return found


def _text(values: Mapping[str, Any], key: str, *, strip: bool = True) -> str:
    """A cell or JSON value as text; numbers are fine, lists and objects are not."""
    value = values.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise RejectedItem("bad_value", f"{key} must be text, not {type(value).__name__}")
    text = str(value)
    return text.strip() if strip else text


# -- reading one file --------------------------------------------------------


def _read_html(data: bytes) -> tuple[dict[str, Any], str | None, str | None]:
    """(row with title and body, the date the page states, encoding warning)."""
    import htmldate
    import lxml.html
    from lxml import etree

    match = _META_CHARSET.search(data[:4096])
    declared = match.group(1).decode("ascii", "replace") if match else "utf-8"
    html, warning = decode_bytes(data, declared)
    html = _XML_DECLARATION.sub("", html.removeprefix("\ufeff"), count=1)
    if not html.strip():
        raise RejectedItem("missing_body", "empty file")
    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, etree.ParserError) as exc:
        raise RejectedItem("unreadable_file", f"not readable as HTML: {exc}") from exc
    title = " ".join((root.findtext(".//title") or "").split())
    if not title:
        h1 = root.find(".//h1")
        title = " ".join(h1.text_content().split()) if h1 is not None else ""
    try:
        published = htmldate.find_date(html, extensive_search=False, original_date=True)
    except Exception:  # a date is optional; a page htmldate chokes on is still a page
        log.debug("htmldate failed", exc_info=True)
        published = None
    return (
        {"title": title, "body_html": html, "body_text": html_main_text(html)},
        published,
        warning,
    )


def _read_pdf(data: bytes) -> dict[str, Any]:
    """Title from the PDF's metadata (unless a placeholder) or its first line; text by pypdf."""
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # it warns about every quirk it repairs
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise RejectedItem("unreadable_file", "the PDF is encrypted with a password")
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
        pages = [page.extract_text() or "" for page in reader.pages[:MAX_PDF_PAGES]]
    except RejectedItem:
        raise
    except Exception as exc:  # pypdf raises many types for broken files
        raise RejectedItem("unreadable_file", f"not a readable PDF: {exc}") from exc
    lines = [" ".join(line.split()) for page in pages for line in page.splitlines()]
    text = "\n".join(line for line in lines if line)
    meta_title = " ".join(str(meta_title).split())
    if _JUNK_PDF_TITLE.search(meta_title):
        meta_title = ""
    if not text:
        raise RejectedItem("missing_body", "the PDF has no extractable text (a scan?)")
    return {"title": meta_title or _first_line(text), "body_text": text, "body_html": ""}


def _read_text(data: bytes) -> tuple[dict[str, Any], str | None]:
    text, warning = decode_bytes(data)
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise RejectedItem("missing_body", "empty file")
    return {"title": _first_line(text), "body_text": text, "body_html": ""}, warning


def _first_line(text: str) -> str:
    line = next((" ".join(x.split()) for x in text.splitlines() if x.strip()), "")
    if len(line) > DERIVED_TITLE_CHARS:
        line = line[: DERIVED_TITLE_CHARS - 1].rstrip() + "…"
    return line
