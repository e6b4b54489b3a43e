"""Page kit for print products: matplotlib settings, paper sizes, pyplot-free figures, text fitting, file bytes.

Figures are created without pyplot (no global state, safe in a web server). :func:`figure_bytes` saves a figure as
PDF (vector, TrueType fonts embedded) or PNG with fixed metadata, so that the same inputs give byte-identical files.
"""

from __future__ import annotations

import io
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.text import Text

from geo.render.provenance import APP_NAME, export_timestamp, software_version

PAPERS_MM: Final[dict[str, tuple[float, float]]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
ORIENTATIONS: Final[dict[str, str]] = {"portrait": "Hochformat", "landscape": "Querformat"}
FORMATS: Final[tuple[str, ...]] = ("pdf", "png")

#: matplotlib settings of every export: TrueType fonts embedded (Type 42), DejaVu Sans for umlauts.
RC: Final[dict[str, object]] = {
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "font.family": "DejaVu Sans",
    "axes.unicode_minus": True,
    "hatch.linewidth": 0.45,
    "pdf.compression": 6,
    # Every text on a print product may quote user data (names, labels, the source): "Preis $5 und $6" must
    # print as written, not as mathtext (or fail to parse). Text objects read this when created, so every
    # figure is built and saved inside rc().
    "text.parse_math": False,
}



def paper_size_in(paper: str = "A4", orientation: str = "landscape") -> tuple[float, float]:
    """Paper width and height in inches."""
    if paper not in PAPERS_MM:
        raise ValueError(f"Unbekanntes Papierformat {paper!r}; möglich: {', '.join(PAPERS_MM)}")
    if orientation not in ORIENTATIONS:
        raise ValueError(f"Unbekannte Ausrichtung {orientation!r}; möglich: {', '.join(ORIENTATIONS)}")
    short, long = (v / 25.4 for v in PAPERS_MM[paper])
    return (long, short) if orientation == "landscape" else (short, long)


_RC_LOCK = threading.RLock()


@contextmanager
def rc() -> Iterator[None]:
    """The matplotlib settings of every export (fonts embedded as TrueType).

    rcParams are process-global: a lock keeps two exports in different threads (web server, the page's
    deferred downloads) from restoring each other's settings halfway through a drawing.
    """
    with _RC_LOCK, mpl.rc_context(RC):
        yield


def new_figure(width_in: float, height_in: float) -> tuple[Figure, object]:
    """A pyplot-free figure with an Agg canvas, and its renderer for measuring text."""
    fig = Figure(figsize=(width_in, height_in), dpi=100)
    canvas = FigureCanvasAgg(fig)
    return fig, canvas.get_renderer()


def wrap_chars(text: str, width: int) -> str:
    """``text`` wrapped at ``width`` characters (not at hyphens); the text itself when it is empty."""
    return "\n".join(textwrap.wrap(text, width=width, break_on_hyphens=False)) or text



def fit_text(fig: Figure, renderer, text: str, width_in: float, fontsize: float, *, max_lines: int = 2,
             min_size: float = 5.0, weight: str = "normal") -> tuple[str, float]:
    """Wrap ``text`` into at most ``max_lines`` lines that fit ``width_in``, shrinking the font if needed."""
    size = fontsize
    while True:
        t = Text(0, 0, text, fontsize=size, fontweight=weight)
        t.set_figure(fig)
        full = t.get_window_extent(renderer).width / fig.dpi / TextMeasure.SAFETY
        if full <= width_in:
            return text, size
        chars = max(10, int(len(text) * width_in / full) - 1)
        lines = textwrap.wrap(text, width=chars, break_on_hyphens=False)
        if len(lines) <= max_lines or size <= min_size:
            wrapped = "\n".join(lines[:max_lines])
            if len(lines) > max_lines:
                wrapped = wrapped.rstrip(" ,;·") + " …"
            return wrapped, size
        size = max(min_size, size * 0.92)


class TextMeasure:
    """Measures and wraps text as matplotlib will draw it (DejaVu Sans), for layouts planned before drawing."""

    def __init__(self, fig: Figure | None = None, renderer=None):
        if fig is None:
            fig, renderer = new_figure(8.27, 11.69)
        self.fig, self.renderer = fig, renderer
        self._cache: dict[tuple[str, float, str], float] = {}
        self._props: dict[tuple[float, str], FontProperties] = {}

    #: Agg measures hinted glyphs at screen resolution, up to ~2 % narrower than the PDF draws them.
    SAFETY = 0.97

    def width(self, text: str, size: float, weight: str = "normal") -> float:
        """Width of one line in inches."""
        key = (text, size, weight)
        if key not in self._cache:
            if not text:
                self._cache[key] = 0.0
            else:
                props = self._props.get((size, weight))
                if props is None:
                    props = self._props[(size, weight)] = FontProperties(size=size, weight=weight)
                w, _, _ = self.renderer.get_text_width_height_descent(text, props, ismath=False)
                self._cache[key] = w / self.fig.dpi
        return self._cache[key]

    def wrap(self, text: str, width_in: float, size: float, weight: str = "normal") -> list[str]:
        """Lines of ``text`` no wider than ``width_in``; keeps explicit line breaks, splits over-long words."""
        width_in *= self.SAFETY
        lines: list[str] = []
        space = self.width("a a", size, weight) - self.width("aa", size, weight)
        for paragraph in str(text).split("\n"):
            current, current_w = "", 0.0
            for word in paragraph.split(" "):
                # summing cached word widths instead of measuring every candidate line keeps this linear
                word_w = self.width(word, size, weight)
                candidate_w = current_w + space + word_w if current else word_w
                if candidate_w <= width_in:
                    current = f"{current} {word}" if current else word
                    current_w = candidate_w
                    continue
                if current:
                    lines.append(current)
                while self.width(word, size, weight) > width_in and len(word) > 1:
                    cut = len(word) - 1
                    while cut > 1 and self.width(word[:cut] + "-", size, weight) > width_in:
                        cut -= 1
                    lines.append(word[:cut] + "-")
                    word = word[cut:]
                current, current_w = word, self.width(word, size, weight)
            lines.append(current)
        return lines



def figure_bytes(fig: Figure, fmt: str = "pdf", *, dpi: int = 150) -> bytes:
    """Save ``fig`` as PDF or PNG with fixed metadata (same figure, same bytes).

    PDF: TrueType fonts embedded, ``CreationDate``/``ModDate`` = export date (midnight UTC), title, subject
    and the settings record (JSON) in ``Keywords``. PNG: ``dpi`` in the pHYs chunk, title, settings and the
    export date as text chunks.
    """
    if fmt not in FORMATS:
        raise ValueError(f"Unbekanntes Format {fmt!r}; möglich: {', '.join(FORMATS)}")
    info = getattr(fig, "_praeventionsatlas", {})
    stamp = export_timestamp(info.get("export_date"))
    buffer = io.BytesIO()
    with rc():
        if fmt == "pdf":
            fig.savefig(buffer, format="pdf", metadata={
                "Title": info.get("title", APP_NAME), "Author": APP_NAME, "Subject": info.get("subject", ""),
                "Keywords": info.get("settings", ""), "Creator": f"{APP_NAME} {software_version()}",
                "CreationDate": stamp, "ModDate": stamp,
            })
        else:
            fig.savefig(buffer, format="png", dpi=dpi, metadata={
                "Title": info.get("title", APP_NAME), "Author": APP_NAME, "Description": info.get("settings", ""),
                "Creation Time": stamp.date().isoformat(), "Software": f"{APP_NAME} {software_version()}",
            })
    return buffer.getvalue()

