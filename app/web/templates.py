"""Jinja2 templates for the server-rendered pages (autoescaped, no JavaScript).

Jinja2 is loaded with the first page rendered, not at start: an instance that only serves
``/mcp`` (the common case) never needs it, and idle memory is a goal (docs/benchmarks.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi.templating import Jinja2Templates
    from starlette.templating import _TemplateResponse

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"


class PageTemplates:
    """``Jinja2Templates`` over TEMPLATES_DIR, built on first use."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._loaded: Jinja2Templates | None = None

    @property
    def loaded(self) -> Jinja2Templates:
        if self._loaded is None:
            from fastapi.templating import Jinja2Templates

            self._loaded = Jinja2Templates(directory=str(self.directory))
        return self._loaded

    def TemplateResponse(self, *args: Any, **kwargs: Any) -> _TemplateResponse:
        """Render a page, as ``Jinja2Templates.TemplateResponse``."""
        return self.loaded.TemplateResponse(*args, **kwargs)


templates = PageTemplates(TEMPLATES_DIR)
