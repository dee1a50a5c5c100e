"""PolicyWatch: the shell around the pipeline.

This package owns what every stage shares: one ``Settings`` object
(``config``), the store (``store``: SQLModel tables, Alembic migrations, the
keyword-only write functions and the read queries), the ingest step that turns
raw crawl JSONL into documents and versions, the ``policywatch`` command line,
and the offline fixture site with its demo corpus.
"""
