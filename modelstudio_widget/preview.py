"""The open design as plain HTML, for the app page's first paint.

Voilà streams the notebook's outputs in the page's HTML, while its own JavaScript (megabytes
of JupyterLab) and then the widget's bundle load for a second or more. The app notebook puts
this preview before the widget: the page shows the design's blocks and arrows as soon as the
HTML arrives, read-only, from the kernel's copy (so it is never stale and never conflicts).
The studio opens over it (``.ms-app.ms-full`` is fixed over the whole page, one layer up)
and removes it.

No script, no request: inline SVG and a little CSS, every user string escaped. Where the
server serves the app's bundle as static files (``app_static``), ``OpenPreview(studio)``
also puts the widget's state and the bundle's links into the HTML: the page's own module
script then opens the studio, editable, before Voilà's scripts and the widget arrive.
"""

from __future__ import annotations

import html
import math
from typing import Any

from modelstudio_widget.app_static import AppBundle, boot_html, boot_traits, kernel_bundle
from modelstudio_widget.design.catalog import catalog
from modelstudio_widget.widget import ModelStudio

#: The canvas card's size in canvas units (js/src/geometry.ts BLOCK_W, BLOCK_H).
CARD_W = 224
CARD_H = 64
#: Room around the design, in card heights (the canvas fits with 20% padding).
MARGIN = 1.2 * CARD_H
FALLBACK_COLOR = "#94a3b8"
#: Coordinates beyond this are not drawn where they say (a hostile or broken design).
MAX_COORD = 1e6

STYLE = """
.ms-open-preview { position: fixed; inset: 0; z-index: 999; display: flex; flex-direction: column;
  background: #f6f7fb; color: #0f172a; font: 15px/1.35 system-ui, -apple-system, "Segoe UI",
  Roboto, "Helvetica Neue", Arial, sans-serif; }
.ms-open-preview header { flex: none; min-height: 61px; padding: 15px 16px 0;
  background: #fff; border-bottom: 1px solid #e2e8f0; font-weight: 650; font-size: 17px;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.ms-open-preview svg { flex: 1; width: 100%; min-height: 0; }
.ms-open-preview .card { fill: #fff; stroke: #e2e8f0; stroke-width: 1.5; }
.ms-open-preview .edge { stroke: #94a3b8; stroke-width: 2; fill: none; }
.ms-open-preview text { font-weight: 650; font-size: 15px; fill: #0f172a; }
@media (prefers-color-scheme: dark) {
  .ms-open-preview { background: #0b1020; color: #e5e9f5; }
  .ms-open-preview header { background: #141a2e; border-color: #263050; }
  .ms-open-preview .card { fill: #141a2e; stroke: #263050; }
  .ms-open-preview .edge { stroke: #7c8aa8; }
  .ms-open-preview text { fill: #e5e9f5; }
}
"""


def _coord(value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return 0.0
    return v if math.isfinite(v) and abs(v) <= MAX_COORD else 0.0


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def preview_html(design: dict[str, Any]) -> str:
    """The design's blocks (label, colour, position) and arrows, fitted to the page."""
    specs = {b["type"]: b for b in catalog().get("blocks", [])}
    components = [c for c in design.get("components") or [] if isinstance(c, dict)]
    where: dict[str, tuple[float, float]] = {}
    for c in components:
        pos = c.get("position") if isinstance(c.get("position"), dict) else {}
        where[str(c.get("id"))] = (_coord(pos.get("x")), _coord(pos.get("y")))
    xs = [x for x, _ in where.values()] or [0.0]
    ys = [y for _, y in where.values()] or [0.0]
    left, top = min(xs) - MARGIN, min(ys) - MARGIN
    width = max(xs) + CARD_W + MARGIN - left
    height = max(ys) + CARD_H + MARGIN - top

    parts = []
    for edge in design.get("edges") or []:
        if not (isinstance(edge, (list, tuple)) and len(edge) == 2):
            continue
        src, dst = where.get(str(edge[0])), where.get(str(edge[1]))
        if src is None or dst is None:
            continue
        x1, y1 = src[0] + CARD_W / 2, src[1] + CARD_H
        x2, y2 = dst[0] + CARD_W / 2, dst[1]
        bend = max(24.0, abs(y2 - y1) / 2)
        parts.append(f'<path class="edge" d="M{x1:.0f} {y1:.0f} C{x1:.0f} {y1 + bend:.0f} '
                     f'{x2:.0f} {y2 - bend:.0f} {x2:.0f} {y2:.0f}"/>')
    for c in components:
        x, y = where[str(c.get("id"))]
        spec = specs.get(c.get("type"), {})
        color = spec.get("color", FALLBACK_COLOR)
        label = spec.get("label", c.get("type", ""))
        parts.append(
            f'<g data-testid="preview-block-{_esc(c.get("id"))}">'
            f'<rect class="card" x="{x:.0f}" y="{y:.0f}" width="{CARD_W}" height="{CARD_H}" '
            f'rx="12"/><rect x="{x + 0.75:.0f}" y="{y + 8:.0f}" width="5" height="{CARD_H - 16}" '
            f'fill="{_esc(color)}"/><text x="{x + 16:.0f}" y="{y + 37:.0f}">{_esc(label)}</text>'
            "</g>")
    name = design.get("name") or "Untitled"
    return (f'<div class="ms-open-preview" data-testid="open-preview" aria-hidden="true">'
            f"<style>{STYLE}</style><header>{_esc(name)}</header>"
            f'<svg viewBox="{left:.0f} {top:.0f} {width:.0f} {height:.0f}" '
            f'preserveAspectRatio="xMidYMin meet">{"".join(parts)}</svg></div>')


#: Output metadata that the app's Voila template ("modelstudio") writes into the page as is.
PREVIEW_METADATA = {"modelstudio": "preview"}


class OpenPreview:
    """``display(OpenPreview(studio))`` in the app notebook: the preview as an HTML output,
    marked for the app's Voila template, with the studio's boot snapshot where the app's
    bundle is served (``bundle``: this kernel's, by default). ``OpenPreview(design)``: the
    preview of a design alone."""

    def __init__(self, studio: ModelStudio | dict[str, Any],
                 bundle: AppBundle | None = None) -> None:
        self.studio = studio
        self.bundle = bundle or kernel_bundle()

    @property
    def design(self) -> dict[str, Any]:
        if isinstance(self.studio, ModelStudio):
            return self.studio.current_design
        return self.studio

    def html(self) -> str:
        markup = preview_html(self.design)
        if self.bundle is None or not isinstance(self.studio, ModelStudio):
            return markup
        return markup + boot_html(self.bundle, boot_traits(self.studio))

    def _repr_mimebundle_(self, **_kwargs: Any) -> tuple[dict[str, str], dict[str, Any]]:
        return {"text/html": self.html()}, dict(PREVIEW_METADATA)
