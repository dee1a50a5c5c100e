"""PolicyWatch's spaCy components, one module each, registered as factories.

Each module defines a component class and a ``make_*`` factory registered
with ``Language.factory`` (and exposed through the ``spacy_factories`` entry
point), loads its data in ``initialize`` and saves it with ``to_disk``:

- ``money``: sterling amounts as pounds (``doc.spans["money"]``)
- ``actors``: departments, agencies, inspectorates, ministers' offices and
  local authorities as canonical actors (``doc.spans["actors"]``)
- ``theme_ruler``: the children's social care themes (``doc.spans["themes"]``,
  ``doc._.themes``)
- ``coherence``: theory-of-change parts and reactive cues
  (``doc.spans["coherence"]``, ``doc._.coherence``)
- ``statements``: actor, direction, target, money, timeframe per sentence
  (``doc._.statements``)
"""
