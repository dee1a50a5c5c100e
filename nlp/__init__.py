"""Language layer: the spaCy pipeline that reads announcements.

It owns the pipeline builder, the registered components (themes, policy
statements, money, coherence markers) and their pattern and taxonomy data.
It annotates new document versions with ``nlp.pipe``; results are stored per
version. (Filled in by the language-layer issue.)
"""
