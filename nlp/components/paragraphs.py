"""``policywatch_paragraph_breaks``: a blank line always ends a sentence.

A version is annotated as "title, blank line, body", and government pages
are full of headings and list items with no full stop. Without this, the
title would run into the first sentence of the body, and a heading into the
paragraph under it, so sentence-level evidence (statements, coherence
markers) would quote text from two places. Runs before the parser or the
sentencizer; both respect sentence starts that are already set.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc


@Language.component("policywatch_paragraph_breaks")
def paragraph_breaks(doc: Doc) -> Doc:
    """Start a sentence at the first token after any whitespace holding a blank line."""
    start_next = False
    for token in doc:
        if start_next and not token.is_space:
            token.is_sent_start = True
            start_next = False
        if "\n\n" in token.whitespace_ or (token.is_space and "\n" in token.text):
            start_next = True
    return doc
