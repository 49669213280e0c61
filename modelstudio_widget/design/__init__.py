"""Designs: what a network is, and whether it is valid. Pure Python (no torch), so the
page's kernel answers an edit in milliseconds.

- ``catalog``: the one table of block types, their props (type, default, bounds, docs),
  ports, limits, error codes and the constants both validators use; the page receives it.
- ``schema``: the pydantic model of design JSON (``modelstudio schema``, ``schema-lint``).
- ``analysis``: the shared types: ``Issue``, ``ValidationResult``, ``Node``, ``Analysis``.
- ``values``: checks of one prop value; ``rules``: validation of record, as named passes
  (shape, components, edges, graph, widths, attachments) mirrored by the page's worker
  (``js/src/validation``); ``estimate``: exact parameter counts and the memory estimate.
- ``templates``: the shipped example designs (``templates/*.json``) and the default design.
"""
