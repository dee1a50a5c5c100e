"""Keyword filters: the search box syntax plus AND, OR, NOT and parentheses.

A plain query (``kinship "special guardianship" -adoption``) means what it
means in ``documents search``: it is read by
:func:`policywatch.store.queries.parse_query`, every term required and every
``-term`` excluded. A query that uses ``AND``/``OR``/``NOT`` (upper case) or
parentheses is parsed here into a small tree; adjacent terms still mean AND.

Matching is on whole lower-cased words (``\\w+``), phrases on consecutive
words, so the same text matches the same way on SQLite and PostgreSQL and in
memory. :meth:`Expr.anchors` returns words one of which any matching text must
contain (a word, or two consecutive words of a phrase); the subscription index
uses them to skip subscriptions that cannot match without evaluating them.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from policywatch.errors import PolicyWatchError
from policywatch.store.queries import parse_query

_WORD = re.compile(r"\w+", re.UNICODE)
_TOKEN = re.compile(r'\s*(?:(\()|(\))|(-?)"([^"]*)"|(-?)([^\s()"]+))', re.UNICODE)
_OPERATORS = {"AND", "OR", "NOT"}


def words(text: str) -> list[str]:
    """The lower-cased words of ``text``, as keyword matching sees them."""
    return _WORD.findall(text.lower())


class Text:
    """A text prepared for many keyword checks: its word set and its joined words."""

    __slots__ = ("_keys", "joined", "vocabulary")

    def __init__(self, text: str) -> None:
        tokens = words(text)
        self.vocabulary = frozenset(tokens)
        self.joined = f" {' '.join(tokens)} "
        self._keys: frozenset[str] | None = None

    @property
    def index_keys(self) -> frozenset[str]:
        """Its words and its pairs of consecutive words: what keyword anchors are looked up in."""
        if self._keys is None:
            tokens = self.joined.split()
            pairs = {f"{a} {b}" for a, b in itertools.pairwise(tokens)}
            self._keys = self.vocabulary | pairs
        return self._keys

    def has_phrase(self, phrase: tuple[str, ...]) -> bool:
        if len(phrase) == 1:
            return phrase[0] in self.vocabulary
        return all(w in self.vocabulary for w in phrase) and f" {' '.join(phrase)} " in self.joined


class Expr:
    """A node of a parsed keyword query."""

    def matches(self, text: Text) -> bool:
        raise NotImplementedError

    def hits(self, text: Text) -> list[str]:
        """The positive terms found in ``text`` (for the "why" line and the quoted sentence)."""
        raise NotImplementedError

    def anchors(self) -> frozenset[str] | None:
        """Words of which a matching text contains at least one; None when there are none."""
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Phrase(Expr):
    words: tuple[str, ...]

    def matches(self, text: Text) -> bool:
        if len(self.words) == 1:  # the common case, without a call
            return self.words[0] in text.vocabulary
        return text.has_phrase(self.words)

    def hits(self, text: Text) -> list[str]:
        return [" ".join(self.words)] if self.matches(text) else []

    def anchors(self) -> frozenset[str] | None:
        # a phrase's words stand together, so one pair of them is a far rarer key than a word
        if len(self.words) == 1:
            return frozenset(self.words)
        pairs = [f"{a} {b}" for a, b in itertools.pairwise(self.words)]
        return frozenset({max(pairs, key=len)})

    def describe(self) -> str:
        joined = " ".join(self.words)
        return f'"{joined}"' if len(self.words) > 1 else joined


@dataclass(frozen=True)
class Not(Expr):
    child: Expr

    def matches(self, text: Text) -> bool:
        return not self.child.matches(text)

    def hits(self, text: Text) -> list[str]:
        return []

    def anchors(self) -> frozenset[str] | None:
        return None

    def describe(self) -> str:
        return f"NOT {self.child.describe()}"


@dataclass(frozen=True)
class And(Expr):
    children: tuple[Expr, ...]

    def matches(self, text: Text) -> bool:
        return all(child.matches(text) for child in self.children)

    def hits(self, text: Text) -> list[str]:
        return [hit for child in self.children for hit in child.hits(text)]

    def anchors(self) -> frozenset[str] | None:
        # any one child's anchors will do; the smallest set lets through the fewest
        sets = [a for a in (child.anchors() for child in self.children) if a is not None]
        return min(sets, key=len) if sets else None

    def describe(self) -> str:
        return " AND ".join(_wrap(child) for child in self.children)


@dataclass(frozen=True)
class Or(Expr):
    children: tuple[Expr, ...]

    def matches(self, text: Text) -> bool:
        return any(child.matches(text) for child in self.children)

    def hits(self, text: Text) -> list[str]:
        return [hit for child in self.children for hit in child.hits(text)]

    def anchors(self) -> frozenset[str] | None:
        union: set[str] = set()
        for child in self.children:
            found = child.anchors()
            if found is None:
                return None
            union |= found
        return frozenset(union)

    def describe(self) -> str:
        return " OR ".join(_wrap(child) for child in self.children)


def _wrap(expr: Expr) -> str:
    return f"({expr.describe()})" if isinstance(expr, And | Or) else expr.describe()


def _term(text: str) -> Phrase | None:
    found = tuple(words(text))
    return Phrase(found) if found else None


def parse_keywords(query: str) -> Expr | None:
    """Parse a keyword filter; None for an empty one. Bad syntax is a PolicyWatchError."""
    query = query.strip()
    if not query:
        return None
    tokens = _tokens(query)
    if not any(t in _OPERATORS or t in "()" for t, _ in tokens):
        return _simple(query)
    parser = _Parser(tokens, query)
    expr = parser.parse_or()
    if parser.position != len(tokens):
        raise PolicyWatchError(f"keywords: unexpected {tokens[parser.position][0]!r} in {query!r}")
    return expr


def _simple(query: str) -> Expr | None:
    """The search box syntax, read by the store's own parser so both agree."""
    required, excluded = parse_query(query)
    parts: list[Expr] = [p for p in map(_term, required) if p]
    parts += [Not(p) for p in map(_term, excluded) if p]
    if not parts:
        return None
    if not required:
        raise PolicyWatchError(f"keywords: {query!r} only excludes; add a word to look for")
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _tokens(query: str) -> list[tuple[str, bool]]:
    """(token, negated) pairs; phrases come back with their quotes so they are never operators."""
    found: list[tuple[str, bool]] = []
    position = 0
    while position < len(query):
        if query[position:].strip() == "":
            break
        match = _TOKEN.match(query, position)
        if not match or match.end() == position:
            raise PolicyWatchError(f"keywords: cannot read {query[position:]!r}")
        position = match.end()
        open_, close, neg_phrase, phrase, neg_word, word = match.groups()
        if open_ or close:
            found.append((open_ or close, False))
        elif phrase is not None:
            found.append((f'"{phrase}"', bool(neg_phrase)))
        else:
            found.append((word, bool(neg_word)))
    return found


class _Parser:
    """Recursive descent: or := and (OR and)*; and := unary (AND? unary)*; unary := NOT* atom."""

    def __init__(self, tokens: list[tuple[str, bool]], query: str) -> None:
        self.tokens = tokens
        self.query = query
        self.position = 0

    def _peek(self) -> str | None:
        return self.tokens[self.position][0] if self.position < len(self.tokens) else None

    def parse_or(self) -> Expr:
        children = [self.parse_and()]
        while self._peek() == "OR":
            self.position += 1
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def parse_and(self) -> Expr:
        children = [self.parse_unary()]
        while (token := self._peek()) is not None and token not in {"OR", ")"}:
            if token == "AND":
                self.position += 1
            children.append(self.parse_unary())
        return children[0] if len(children) == 1 else And(tuple(children))

    def parse_unary(self) -> Expr:
        token = self._peek()
        if token == "NOT":
            self.position += 1
            return Not(self.parse_unary())
        if token is None or token in _OPERATORS or token == ")":
            raise PolicyWatchError(f"keywords: a term is missing in {self.query!r}")
        self.position += 1
        negated = self.tokens[self.position - 1][1]
        if token == "(":
            inner = self.parse_or()
            if self._peek() != ")":
                raise PolicyWatchError(f"keywords: unbalanced parenthesis in {self.query!r}")
            self.position += 1
            return Not(inner) if negated else inner
        term = _term(token.strip('"'))
        if term is None:
            raise PolicyWatchError(f"keywords: {token!r} has no words in {self.query!r}")
        return Not(term) if negated else term
