"""The tools: plain typed functions over the acting athlete's Intervals.icu session.

Layout: ``catalog/`` holds one module per tool (``_``-prefixed modules: shared answer shapes);
``kit.py`` is what a tool imports; ``spec.py`` the ``@tool`` declaration; ``registry.py``
discovery, toolsets and the SDK adapter; ``context.py`` the :class:`AthleteContext` a provider
opens per call; ``answers.py``, ``units.py``, ``scales.py``, ``dates.py``, ``errors.py``,
``arguments.py`` and ``schema.py`` the shared rules. Tools never know about HTTP, OAuth or the
database (tests/mcp/test_tool_layering.py). How to add one: docs/development.md.
"""
