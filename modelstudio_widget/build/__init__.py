"""From a valid design to a torch module.

- ``blocks``: the hand-written ``nn.Module`` blocks (embedding, transformer, MoE, router,
  aux head, checkpoint wrapper, heads); all behaviour lives here. ``lookahead``: the
  n-tuple value output (the four moves' afterstates as gathers, valued by tables).
- ``base``: ``GameTransformer``, the base class every generated model extends, and
  ``DynamicModelConfig`` (the resolved sizes of a compiled design).
- ``valid``: ``analyze_valid`` / ``DesignError``: the one gate between design and build.
- ``codegen``: the design as tiny generated source (no user string reaches it; an AST
  whitelist checks it), written to the workspace and imported; ``compile_design`` and
  ``build_model`` share its one build path.
"""
