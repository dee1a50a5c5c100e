"""Load and check the demo corpus that the fixture site serves.

The corpus is hand-written Markdown with YAML front matter (see
``corpus/FORMAT.md``). Loading is tolerant on purpose: two people write
documents while others run the checker, so one broken file must be reported,
not crash the whole load. ``check_corpus`` then enforces the format's rules so
that ground truth the NLP and timeline tests score against stays consistent.
"""

from __future__ import annotations

import argparse
import re
import sys
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import markdown
import yaml

CORPUS_DIR = Path(__file__).with_name("corpus")

SOURCES = ("govuk", "wordpress", "html", "parliament")
#: a UK Parliament written ministerial statement: its house and the prefix of its UIN
PARLIAMENT_HOUSES = {"Commons": "HCWS", "Lords": "HLWS"}
PARLIAMENT_FIELDS = ("house", "uin", "member_name", "member_role", "member_from")
SECTOR_DOCUMENT_TYPES = ("blog_post", "news", "report", "consultation_response")
THEMES = (
    "residential_care",
    "fostering",
    "kinship_care",
    "adoption",
    "family_help",
    "child_protection",
    "care_leavers",
    "workforce",
    "sufficiency_commissioning",
    "funding",
    "regulation_inspection",
    "local_government",
    "mental_health",
    "exploitation_youth_justice",
    "asylum_seeking_children",
    "education_of_children_in_care",
    "legislation",
)
DIRECTIONS = ("increase", "decrease", "maintain", "create", "abolish", "review")
SIGNAL_KINDS = ("contradiction", "reversal", "reannouncement", "reactive", "burst")
EVENT_KINDS = ("inquiry", "death", "serious_case_review", "critical_report", "court_ruling")
EARLIEST = datetime(2015, 1, 1, tzinfo=UTC)
LATEST = datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)

NEWS_TYPES = frozenset({"press_release", "news_story", "government_response", "world_news_story"})
SPEECH_TYPES = frozenset({"speech", "written_statement", "oral_statement", "authored_article"})
CONSULTATION_TYPES = frozenset(
    {"consultation", "open_consultation", "closed_consultation", "consultation_outcome"}
)
# A fixed namespace so content_ids are stable across runs and machines.
CONTENT_ID_NAMESPACE = uuid.UUID("5f0c2b8e-7d1a-4c3e-9b6a-0a1b2c3d4e5f")

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)(.*)\Z", re.DOTALL)


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Version:
    """One public version; ``body`` is None when the body did not change then."""

    public_timestamp: datetime
    note: str
    body: str | None = None


@dataclass(frozen=True)
class Attachment:
    """A PDF attachment; the fixture site renders ``text`` into a real PDF."""

    title: str
    filename: str
    text: str


@dataclass(frozen=True)
class Statement:
    """A hand-labelled policy statement: the ground truth for extraction."""

    actor: str
    direction: str
    target: str
    sentence: str
    money_gbp: int | None = None
    timeframe: str | None = None


@dataclass(frozen=True)
class Labels:
    """Ground-truth labels written with the document."""

    themes: tuple[str, ...] = ()
    reactive: bool = False
    statements: tuple[Statement, ...] = ()


@dataclass(frozen=True)
class Withdrawal:
    """GOV.UK's withdrawn notice; only visible once ``withdrawn_at`` has passed."""

    explanation: str
    withdrawn_at: datetime


@dataclass(frozen=True)
class CorpusDocument:
    """One announcement with its version history, as written in ``documents/<id>.md``."""

    id: str
    source: str
    publisher: str
    document_type: str
    title: str
    description: str
    body: str
    versions: tuple[Version, ...]
    other_publishers: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    taxons: tuple[str, ...] = ()
    #: parliament documents only: the house, the statement's UIN and the minister making it
    house: str | None = None
    uin: str | None = None
    member_name: str | None = None
    member_role: str | None = None
    member_from: str | None = None
    withdrawn: Withdrawal | None = None
    attachments: tuple[Attachment, ...] = ()
    labels: Labels = field(default_factory=Labels)
    path: Path | None = None

    @property
    def first_published_at(self) -> datetime:
        return self.versions[0].public_timestamp

    @property
    def public_updated_at(self) -> datetime:
        return self.versions[-1].public_timestamp

    @property
    def content_id(self) -> str:
        """A uuid5 of the id, so the same document keeps its content_id across runs."""
        return str(uuid.uuid5(CONTENT_ID_NAMESPACE, self.id))

    @property
    def base_path(self) -> str:
        """The GOV.UK path Whitehall would give this document type."""
        if self.document_type in NEWS_TYPES:
            return f"/government/news/{self.id}"
        if self.document_type in SPEECH_TYPES:
            return f"/government/speeches/{self.id}"
        if self.document_type in CONSULTATION_TYPES:
            return f"/government/consultations/{self.id}"
        return f"/government/publications/{self.id}"

    def is_visible(self, as_of: datetime | None) -> bool:
        """A document does not exist before its first publication."""
        return as_of is None or self.first_published_at <= as_of

    def visible_versions(self, as_of: datetime | None) -> tuple[Version, ...]:
        if as_of is None:
            return self.versions
        return tuple(v for v in self.versions if v.public_timestamp <= as_of)

    def version_at(self, as_of: datetime | None) -> Version | None:
        """The latest version published at ``as_of``; None if not yet published."""
        visible = self.visible_versions(as_of)
        return visible[-1] if visible else None

    def version_index_at(self, as_of: datetime | None) -> int | None:
        visible = self.visible_versions(as_of)
        return len(visible) - 1 if visible else None

    def body_at(self, as_of: datetime | None) -> str | None:
        """The body as it read at ``as_of`` (None before first publication)."""
        index = self.version_index_at(as_of)
        return None if index is None else self.version_bodies()[index]

    def version_bodies(self) -> list[str]:
        """Resolve each version's body.

        An omitted body means "unchanged since the previous version"; the last
        version is always the document body; a first version without a body
        reads like the next version that states one.
        """
        bodies: list[str | None] = [v.body for v in self.versions]
        bodies[-1] = self.body
        if bodies[0] is None:
            bodies[0] = next(b for b in bodies if b is not None)
        for i in range(1, len(bodies)):
            if bodies[i] is None:
                bodies[i] = bodies[i - 1]
        return [b if b is not None else self.body for b in bodies]

    def withdrawn_at(self, as_of: datetime | None) -> Withdrawal | None:
        w = self.withdrawn
        if w is None or (as_of is not None and w.withdrawn_at > as_of):
            return None
        return w


@dataclass(frozen=True)
class PlantedSignal:
    """A signal planted on purpose; detectors are scored against these."""

    id: str
    kind: str
    documents: tuple[str, ...]
    explanation: str = ""
    target: str | None = None
    theme: str | None = None
    money_gbp: int | None = None
    trigger: str | None = None
    file: str = ""


@dataclass(frozen=True)
class Control:
    """Documents that look like a signal but are not one (false-positive bait)."""

    id: str
    looks_like: str
    documents: tuple[str, ...]
    why_not: str = ""
    file: str = ""


@dataclass(frozen=True)
class Event:
    """A real-world trigger that reactive announcements follow."""

    id: str
    date: date
    kind: str
    theme: str
    title: str


@dataclass(frozen=True)
class Publisher:
    """A government organisation (on GOV.UK) or a sector body with its own site."""

    slug: str
    title: str
    kind: str  # "government" | "sector"
    acronym: str | None = None
    content_id: str | None = None
    site_kind: str | None = None  # "wordpress" | "html" for sector publishers


@dataclass(frozen=True)
class Taxon:
    """A GOV.UK topic taxon; ``parent`` is the parent's base path."""

    base_path: str
    title: str
    content_id: str
    parent: str | None = None


@dataclass
class Corpus:
    """Everything the fixture site serves and the tests score against."""

    documents: list[CorpusDocument] = field(default_factory=list)
    publishers: dict[str, Publisher] = field(default_factory=dict)
    taxons: dict[str, Taxon] = field(default_factory=dict)
    signals: list[PlantedSignal] = field(default_factory=list)
    controls: list[Control] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    root: Path | None = None
    load_errors: list[str] = field(default_factory=list)
    # documents named by ground_truth files other than signals/events: (file, id)
    other_references: list[tuple[str, str]] = field(default_factory=list)

    @property
    def by_id(self) -> dict[str, CorpusDocument]:
        return {d.id: d for d in self.documents}

    def get(self, doc_id: str) -> CorpusDocument | None:
        return next((d for d in self.documents if d.id == doc_id), None)

    def taxon_chain(self, base_path: str) -> list[Taxon]:
        """The taxon and its ancestors, nearest first (cycle-safe)."""
        chain: list[Taxon] = []
        current = self.taxons.get(base_path)
        while current is not None and current not in chain:
            chain.append(current)
            current = self.taxons.get(current.parent) if current.parent else None
        return chain


# --------------------------------------------------------------------------- parsing


def to_datetime(value: Any) -> datetime:
    """YAML gives datetimes, dates or strings; everything becomes aware UTC."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise ValueError(f"not a timestamp: {value!r}")


def to_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value.strip())
    raise ValueError(f"not a date: {value!r}")


def _strs(value: Any, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list):
        raise ValueError(f"{name} must be a list")
    return tuple(str(v) for v in value)


def _opt_int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    return value


def _opt_str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _require(data: dict[str, Any], key: str) -> Any:
    if data.get(key) in (None, ""):
        raise ValueError(f"missing required field '{key}'")
    return data[key]


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Split ``---`` YAML front matter from the Markdown body."""
    match = _FRONT_MATTER.match(text.lstrip("\ufeff"))
    if not match:
        raise ValueError("no YAML front matter between '---' lines")
    data = yaml.safe_load(match.group(1))
    if not isinstance(data, dict):
        raise ValueError("front matter is not a YAML mapping")
    return data, match.group(2).strip("\n") + "\n"


def _parse_versions(raw: Any) -> tuple[Version, ...]:
    if not isinstance(raw, list) or not raw:
        raise ValueError("versions must be a non-empty list")
    versions = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise ValueError(f"versions[{i}] is not a mapping")
        ts = to_datetime(_require(entry, "public_timestamp"))
        body = entry.get("body")
        versions.append(Version(ts, str(entry.get("note") or ""), str(body) if body else None))
    return tuple(versions)


def _parse_statement(raw: dict[str, Any]) -> Statement:
    return Statement(
        actor=str(_require(raw, "actor")),
        direction=str(_require(raw, "direction")),
        target=str(_require(raw, "target")),
        sentence=str(_require(raw, "sentence")),
        money_gbp=_opt_int(raw.get("money_gbp"), "money_gbp"),
        timeframe=str(raw["timeframe"]) if raw.get("timeframe") is not None else None,
    )


def _parse_labels(raw: Any) -> Labels:
    if raw is None:
        return Labels()
    if not isinstance(raw, dict):
        raise ValueError("labels must be a mapping")
    statements = raw.get("statements") or []
    if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        raise ValueError("labels.statements must be a list of mappings")
    return Labels(
        themes=_strs(raw.get("themes"), "labels.themes"),
        reactive=bool(raw.get("reactive", False)),
        statements=tuple(_parse_statement(s) for s in statements),
    )


def _parse_attachments(raw: Any) -> tuple[Attachment, ...]:
    if not raw:
        return ()
    if not isinstance(raw, list):
        raise ValueError("attachments must be a list")
    return tuple(
        Attachment(
            title=str(_require(a, "title")),
            filename=str(_require(a, "filename")),
            text=str(a.get("text") or ""),
        )
        for a in raw
    )


def _parse_withdrawn(raw: Any) -> Withdrawal | None:
    if not raw:
        return None
    if not isinstance(raw, dict):
        raise ValueError("withdrawn must be null or {explanation, withdrawn_at}")
    return Withdrawal(str(raw.get("explanation") or ""), to_datetime(_require(raw, "withdrawn_at")))


def parse_document(text: str, path: Path | None = None) -> CorpusDocument:
    """Build a document from one file's text; raises ValueError/YAMLError when broken."""
    data, body = split_front_matter(text)
    return CorpusDocument(
        id=str(_require(data, "id")),
        source=str(_require(data, "source")),
        publisher=str(_require(data, "publisher")),
        document_type=str(_require(data, "document_type")),
        title=str(_require(data, "title")),
        description=str(data.get("description") or ""),
        body=body,
        versions=_parse_versions(data.get("versions")),
        other_publishers=_strs(data.get("other_publishers"), "other_publishers"),
        people=_strs(data.get("people"), "people"),
        taxons=_strs(data.get("taxons"), "taxons"),
        **{name: _opt_str(data.get(name)) for name in PARLIAMENT_FIELDS},
        withdrawn=_parse_withdrawn(data.get("withdrawn")),
        attachments=_parse_attachments(data.get("attachments")),
        labels=_parse_labels(data.get("labels")),
        path=path,
    )


def _load_publishers(path: Path) -> dict[str, Publisher]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    publishers: dict[str, Publisher] = {}
    for kind in ("government", "sector"):
        for raw in data.get(kind) or []:
            publishers[raw["slug"]] = Publisher(
                slug=raw["slug"],
                title=raw["title"],
                kind=kind,
                acronym=raw.get("acronym"),
                content_id=raw.get("content_id"),
                site_kind=raw.get("site_kind"),
            )
    return publishers


def _load_taxons(path: Path) -> dict[str, Taxon]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return {
        t["base_path"]: Taxon(t["base_path"], t["title"], t["content_id"], t.get("parent"))
        for t in data
    }


def _parse_signal(raw: dict[str, Any], file: str) -> PlantedSignal:
    return PlantedSignal(
        id=str(_require(raw, "id")),
        kind=str(_require(raw, "kind")),
        documents=_strs(raw.get("documents"), "documents"),
        explanation=str(raw.get("explanation") or ""),
        target=raw.get("target"),
        theme=raw.get("theme"),
        money_gbp=_opt_int(raw.get("money_gbp"), "money_gbp"),
        trigger=raw.get("trigger"),
        file=file,
    )


def _parse_control(raw: dict[str, Any], file: str) -> Control:
    return Control(
        id=str(_require(raw, "id")),
        looks_like=str(_require(raw, "looks_like")),
        documents=_strs(raw.get("documents"), "documents"),
        why_not=str(raw.get("why_not") or ""),
        file=file,
    )


def _parse_event(raw: dict[str, Any]) -> Event:
    return Event(
        id=str(_require(raw, "id")),
        date=to_date(_require(raw, "date")),
        kind=str(_require(raw, "kind")),
        theme=str(_require(raw, "theme")),
        title=str(_require(raw, "title")),
    )


def _collect(items: Any, parse: Any, file: str, errors: list[str], key: str) -> list[Any]:
    """Parse each entry on its own so one bad entry does not hide the rest."""
    if items is None:
        return []
    if not isinstance(items, list):
        errors.append(f"{file}: '{key}' must be a list")
        return []
    parsed = []
    for i, raw in enumerate(items):
        try:
            if not isinstance(raw, dict):
                raise ValueError("not a mapping")
            parsed.append(parse(raw))
        except (ValueError, TypeError) as exc:
            errors.append(f"{file}: {key}[{i}]: {exc}")
    return parsed


def _referenced_documents(node: Any) -> list[str]:
    """Document ids named under any 'documents'/'document' key, for unknown files."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("documents", "document") and isinstance(value, list | str):
                found.extend(_strs(value, key))
            else:
                found.extend(_referenced_documents(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_referenced_documents(item))
    return found


def _load_ground_truth(corpus: Corpus, folder: Path) -> None:
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        file = f"ground_truth/{path.name}"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            corpus.load_errors.append(f"{file}: cannot parse: {exc}")
            continue
        if path.name == "events.yaml":
            corpus.events += _collect(data, _parse_event, file, corpus.load_errors, "events")
        elif path.name.startswith("signals"):
            data = data or {}
            if not isinstance(data, dict):
                corpus.load_errors.append(f"{file}: expected a mapping with signals/controls")
                continue
            corpus.signals += _collect(
                data.get("signals"),
                lambda r, f=file: _parse_signal(r, f),
                file,
                corpus.load_errors,
                "signals",
            )
            corpus.controls += _collect(
                data.get("controls"),
                lambda r, f=file: _parse_control(r, f),
                file,
                corpus.load_errors,
                "controls",
            )
        else:
            corpus.other_references += [(file, d) for d in _referenced_documents(data)]


def _load_documents(corpus: Corpus, folder: Path) -> None:
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        file = f"documents/{path.name}"
        try:
            corpus.documents.append(parse_document(path.read_text(encoding="utf-8"), path))
        except yaml.YAMLError as exc:
            corpus.load_errors.append(f"{file}: YAML error: {' '.join(str(exc).split())}")
        except (ValueError, TypeError, UnicodeDecodeError) as exc:
            corpus.load_errors.append(f"{file}: {exc}")


def load_corpus(path: Path | None = None) -> Corpus:
    """Load a corpus folder (default: the one shipped beside this module)."""
    root = Path(path) if path is not None else CORPUS_DIR
    corpus = Corpus(root=root)
    for name, loader, attr in (
        ("publishers.yaml", _load_publishers, "publishers"),
        ("taxons.yaml", _load_taxons, "taxons"),
    ):
        try:
            setattr(corpus, attr, loader(root / name))
        except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
            corpus.load_errors.append(f"{name}: cannot load: {exc!r}")
    _load_documents(corpus, root / "documents")
    _load_ground_truth(corpus, root / "ground_truth")
    corpus.documents.sort(key=lambda d: (d.first_published_at, d.id))
    return corpus


# --------------------------------------------------------------------------- rendering


def render_body_html(markdown_text: str) -> str:
    """Markdown to HTML the same way everywhere, so served pages and checks agree."""
    return markdown.markdown(markdown_text, extensions=["tables"], output_format="html")


class _TextExtractor(HTMLParser):
    BLOCKS = frozenset(
        {
            "p",
            "li",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "td",
            "th",
            "tr",
            "br",
            "div",
            "ul",
            "ol",
            "table",
            "blockquote",
            "pre",
        }
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def normalise_space(text: str) -> str:
    return " ".join(text.split())


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment with whitespace collapsed."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return normalise_space("".join(parser.parts))


def render_body_text(markdown_text: str) -> str:
    """Plain text of a Markdown body, as a crawler would extract it."""
    return html_to_text(render_body_html(markdown_text))


# --------------------------------------------------------------------------- checking


def _file_of(doc: CorpusDocument) -> str:
    return f"documents/{doc.path.name}" if doc.path else f"documents/{doc.id}.md"


def _check_identity(doc: CorpusDocument, seen: Counter[str]) -> list[str]:
    errors = []
    if not re.fullmatch(r"[a-z0-9-]+", doc.id):
        errors.append(f"id '{doc.id}' must match [a-z0-9-]+")
    if doc.path is not None and doc.path.stem != doc.id:
        errors.append(f"id '{doc.id}' differs from the file name '{doc.path.stem}'")
    if seen[doc.id] > 1:
        errors.append(f"id '{doc.id}' is used by {seen[doc.id]} files")
    return errors


def _check_publisher(doc: CorpusDocument, corpus: Corpus) -> list[str]:
    if doc.source not in SOURCES:
        return [f"source '{doc.source}' is not one of {', '.join(SOURCES)}"]
    pub = corpus.publishers.get(doc.publisher)
    if pub is None:
        return [f"publisher '{doc.publisher}' is not in publishers.yaml"]
    errors = []
    if doc.source == "parliament":
        return _check_parliament(doc, pub)
    if doc.source == "govuk":
        if pub.kind != "government":
            errors.append(f"govuk document has non-government publisher '{doc.publisher}'")
        for other in doc.other_publishers:
            p = corpus.publishers.get(other)
            if p is None or p.kind != "government":
                errors.append(f"other_publishers '{other}' is not a government publisher")
    else:
        if pub.kind != "sector" or pub.site_kind != doc.source:
            errors.append(
                f"{doc.source} document needs a sector publisher with site_kind {doc.source}, "
                f"'{doc.publisher}' is not one"
            )
        if doc.document_type not in SECTOR_DOCUMENT_TYPES:
            errors.append(
                f"document_type '{doc.document_type}' is not one of "
                f"{', '.join(SECTOR_DOCUMENT_TYPES)}"
            )
    return errors


def _check_parliament(doc: CorpusDocument, pub: Publisher) -> list[str]:
    """A written ministerial statement: one answering department, one minister, one version.

    Parliament never edits a statement in place (a correction is a new,
    linked statement), so a parliament document has exactly one version.
    """
    errors = []
    if pub.kind != "government":
        errors.append(f"parliament document has non-government publisher '{doc.publisher}'")
    if doc.other_publishers:
        errors.append("a parliament document has one answering department: no other_publishers")
    if doc.document_type != "written_statement":
        errors.append(f"document_type '{doc.document_type}' must be written_statement")
    if len(doc.people) != 1:
        errors.append("people must name exactly one minister (the member making the statement)")
    if len(doc.versions) != 1:
        errors.append("a parliament document has exactly one version (a correction is new)")
    if doc.house is not None and doc.house not in PARLIAMENT_HOUSES:
        errors.append(f"house '{doc.house}' is not one of {', '.join(PARLIAMENT_HOUSES)}")
    house = doc.house or "Commons"
    prefix = PARLIAMENT_HOUSES.get(house, "")
    if doc.uin is not None and not re.fullmatch(rf"{prefix}\d+", doc.uin):
        errors.append(f"uin '{doc.uin}' must look like {prefix}123 for house {house}")
    return errors


def _check_parliament_fields(doc: CorpusDocument) -> list[str]:
    if doc.source == "parliament":
        return []
    return [
        f"{name} is only for parliament documents"
        for name in PARLIAMENT_FIELDS
        if getattr(doc, name) is not None
    ]


def _check_versions(doc: CorpusDocument) -> list[str]:
    errors = []
    previous: datetime | None = None
    for i, v in enumerate(doc.versions):
        if not EARLIEST <= v.public_timestamp <= LATEST:
            errors.append(
                f"versions[{i}].public_timestamp {v.public_timestamp:%Y-%m-%d} "
                "is outside 2015-01-01..2025-12-31"
            )
        if previous is not None and v.public_timestamp <= previous:
            errors.append(f"versions[{i}].public_timestamp is not after versions[{i - 1}]")
        previous = v.public_timestamp
    last = doc.versions[-1]
    if last.body is not None and last.body.strip() != doc.body.strip():
        errors.append(
            "the last version has a body that differs from the document body; "
            "the document body is the latest version, drop versions[-1].body"
        )
    if doc.withdrawn and not EARLIEST <= doc.withdrawn.withdrawn_at <= LATEST:
        errors.append("withdrawn.withdrawn_at is outside 2015-01-01..2025-12-31")
    return errors


def _check_taxons(doc: CorpusDocument, corpus: Corpus) -> list[str]:
    if doc.source != "govuk" and doc.taxons:
        return ["taxons are only for govuk documents"]
    return [
        f"unknown taxon '{t}' (not in taxons.yaml)" for t in doc.taxons if t not in corpus.taxons
    ]


def _check_labels(doc: CorpusDocument) -> list[str]:
    errors = [f"unknown theme '{t}'" for t in doc.labels.themes if t not in THEMES]
    text = render_body_text(doc.body)
    for i, s in enumerate(doc.labels.statements):
        if s.direction not in DIRECTIONS:
            errors.append(
                f"statements[{i}].direction '{s.direction}' is not one of {', '.join(DIRECTIONS)}"
            )
        if normalise_space(s.sentence) not in text:
            errors.append(
                f"statements[{i}].sentence not found verbatim in the rendered body: "
                f"{s.sentence[:80]!r}"
            )
    return errors


def check_document(doc: CorpusDocument, corpus: Corpus, seen: Counter[str]) -> list[str]:
    """All per-document rules, prefixed with the file they concern."""
    problems = (
        _check_identity(doc, seen)
        + _check_publisher(doc, corpus)
        + _check_parliament_fields(doc)
        + _check_versions(doc)
        + _check_taxons(doc, corpus)
        + _check_labels(doc)
    )
    return [f"{_file_of(doc)}: {p}" for p in problems]


def _check_references(file: str, what: str, ids: tuple[str, ...], corpus: Corpus) -> list[str]:
    known = corpus.by_id
    return [f"{file}: {what}: document '{d}' does not exist" for d in ids if d not in known]


def _check_date_order(file: str, what: str, ids: tuple[str, ...], corpus: Corpus) -> list[str]:
    known = corpus.by_id
    dates = [known[d].first_published_at for d in ids if d in known]
    if dates != sorted(dates):
        return [f"{file}: {what}: documents are not in date order"]
    return []


def _check_signal(sig: PlantedSignal, corpus: Corpus) -> list[str]:
    where = f"signal '{sig.id}'"
    errors = _check_references(sig.file, where, sig.documents, corpus)
    errors += _check_date_order(sig.file, where, sig.documents, corpus)
    if sig.kind not in SIGNAL_KINDS:
        errors.append(
            f"{sig.file}: {where}: kind '{sig.kind}' is not one of {', '.join(SIGNAL_KINDS)}"
        )
    if sig.kind in ("burst", "reactive") and not sig.theme:
        errors.append(f"{sig.file}: {where}: a {sig.kind} signal needs a theme")
    if sig.theme and sig.theme not in THEMES:
        errors.append(f"{sig.file}: {where}: unknown theme '{sig.theme}'")
    if sig.kind == "reactive":
        events = {e.id for e in corpus.events}
        if not sig.trigger:
            errors.append(f"{sig.file}: {where}: a reactive signal needs a trigger")
        elif sig.trigger not in events and sig.trigger not in corpus.by_id:
            errors.append(
                f"{sig.file}: {where}: trigger '{sig.trigger}' is neither an event "
                "in events.yaml nor a document"
            )
    if sig.kind == "reannouncement" and sig.money_gbp is None:
        errors.append(f"{sig.file}: {where}: a reannouncement needs money_gbp")
    if not sig.documents:
        errors.append(f"{sig.file}: {where}: no documents")
    return errors


def _check_control(ctl: Control, corpus: Corpus) -> list[str]:
    where = f"control '{ctl.id}'"
    errors = _check_references(ctl.file, where, ctl.documents, corpus)
    if ctl.looks_like not in SIGNAL_KINDS:
        errors.append(
            f"{ctl.file}: {where}: looks_like '{ctl.looks_like}' is not one of "
            f"{', '.join(SIGNAL_KINDS)}"
        )
    if not ctl.documents:
        errors.append(f"{ctl.file}: {where}: no documents")
    return errors


def _check_event(event: Event) -> list[str]:
    file = "ground_truth/events.yaml"
    errors = []
    if event.kind not in EVENT_KINDS:
        errors.append(
            f"{file}: event '{event.id}': kind '{event.kind}' is not one of "
            f"{', '.join(EVENT_KINDS)}"
        )
    if event.theme not in THEMES:
        errors.append(f"{file}: event '{event.id}': unknown theme '{event.theme}'")
    return errors


def _check_unique(items: list[Any], what: str) -> list[str]:
    counts = Counter(item.id for item in items)
    return [f"{what} id '{i}' is used {n} times" for i, n in counts.items() if n > 1]


def check_corpus(corpus: Corpus) -> list[str]:
    """Every rule of FORMAT.md, as human-readable errors (empty list = valid)."""
    errors = list(corpus.load_errors)
    seen = Counter(d.id for d in corpus.documents)
    for doc in corpus.documents:
        errors += check_document(doc, corpus, seen)
    for sig in corpus.signals:
        errors += _check_signal(sig, corpus)
    for ctl in corpus.controls:
        errors += _check_control(ctl, corpus)
    for event in corpus.events:
        errors += _check_event(event)
    errors += _check_unique(corpus.signals + corpus.controls, "ground_truth: signal/control")
    errors += _check_unique(corpus.events, "ground_truth/events.yaml: event")
    known = corpus.by_id
    errors += [
        f"{file}: document '{d}' does not exist"
        for file, d in corpus.other_references
        if d not in known
    ]
    return errors


# --------------------------------------------------------------------------- CLI


def summarise(corpus: Corpus) -> str:
    """A short inventory, so writers see what the corpus covers at a glance."""
    lines = [f"documents: {len(corpus.documents)}"]
    for source, n in sorted(Counter(d.source for d in corpus.documents).items()):
        lines.append(f"  source {source}: {n}")
    for pub, n in sorted(Counter(d.publisher for d in corpus.documents).items()):
        lines.append(f"  publisher {pub}: {n}")
    multi = sum(1 for d in corpus.documents if len(d.versions) > 1)
    lines.append(f"documents with 2+ versions: {multi}")
    lines.append(f"signals: {len(corpus.signals)}")
    for kind, n in sorted(Counter(s.kind for s in corpus.signals).items()):
        lines.append(f"  {kind}: {n}")
    lines.append(f"controls: {len(corpus.controls)}")
    lines.append(f"events: {len(corpus.events)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m policywatch.fixture_site.corpus --check [--path DIR]``."""
    parser = argparse.ArgumentParser(description="Check the PolicyWatch demo corpus.")
    parser.add_argument("--check", action="store_true", help="validate and summarise")
    parser.add_argument("--path", type=Path, default=None, help="corpus folder")
    args = parser.parse_args(argv)
    corpus = load_corpus(args.path)
    errors = check_corpus(corpus)
    out = sys.stdout
    for error in errors:
        out.write(f"{error}\n")
    out.write(summarise(corpus) + "\n")
    out.write(f"{len(errors)} error(s)\n" if errors else "OK: no errors\n")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
