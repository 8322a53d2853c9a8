"""The badge image of an award: a rosette in the organisation's primary colour with the achievement's name.

Drawn here rather than uploaded so every award has one from the start. Two renderings of one design: SVG (the
image an Achievement points to, and the baked .svg download) and a 512×512 PNG drawn with Pillow (the baked .png
download). Both are deterministic — the same name and colour give the same bytes — so downloads can be cached and
tests can compare them. The name is user text: escaped in the SVG, drawn as plain text in the PNG.
"""

from __future__ import annotations

import io
import math
import re
import textwrap
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFont

SIZE = 512
CENTER = (256.0, 224.0)
OUTER_RADIUS, NOTCH_RADIUS, INNER_RADIUS = 196.0, 176.0, 146.0
POINTS = 24  # scallops of the rosette's edge
TEXT_COLOR = "#111827"
INNER_FILL = "#ffffff"
DEFAULT_COLOR = "#1d4ed8"
HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
FONT_PATH = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
FONT_SIZE = 32
LINE_HEIGHT = 40
WRAP_WIDTH = 14  # characters per line inside the inner circle
MAX_LINES = 4
NAME_LIMIT = 200


def _color(value: str | None) -> str:
    return value.lower() if value and HEX_COLOR.match(value) else DEFAULT_COLOR


def _rosette() -> list[tuple[float, float]]:
    """The scalloped edge: points alternating between the outer and the notch radius, rounded so the SVG text
    is the same on every machine."""
    out = []
    for index in range(POINTS * 2):
        radius = OUTER_RADIUS if index % 2 == 0 else NOTCH_RADIUS
        angle = math.pi * index / POINTS - math.pi / 2
        out.append((round(CENTER[0] + radius * math.cos(angle), 1), round(CENTER[1] + radius * math.sin(angle), 1)))
    return out


# The two ribbon tails under the rosette, each a notched band.
RIBBONS: tuple[tuple[tuple[float, float], ...], ...] = (
    ((176.0, 360.0), (236.0, 380.0), (204.0, 492.0), (176.0, 462.0), (140.0, 480.0)),
    ((336.0, 360.0), (276.0, 380.0), (308.0, 492.0), (336.0, 462.0), (372.0, 480.0)),
)


def lines(name: str) -> list[str]:
    """The achievement's name wrapped to fit inside the medal, at most MAX_LINES (the last one cut with "…")."""
    text = " ".join((name or "").split())[:NAME_LIMIT] or "Certificate"
    return textwrap.wrap(text, width=WRAP_WIDTH, max_lines=MAX_LINES, placeholder=" …", break_long_words=True)


def _darker(color: str) -> str:
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return "#{:02x}{:02x}{:02x}".format(*(int(channel * 0.7) for channel in (red, green, blue)))


def _points(points: tuple[tuple[float, float], ...] | list[tuple[float, float]]) -> str:
    return " ".join(f"{x:g},{y:g}" for x, y in points)


def svg(*, name: str, color: str | None) -> str:
    """The badge as an SVG document (unbaked)."""
    fill = _color(color)
    rows = lines(name)
    first_y = CENTER[1] - (len(rows) - 1) * LINE_HEIGHT / 2 + FONT_SIZE / 3
    text = "".join(
        f'<tspan x="{CENTER[0]:g}" y="{first_y + index * LINE_HEIGHT:g}">{escape(row)}</tspan>'
        for index, row in enumerate(rows)
    )
    plain = " ".join((name or "").split())[:NAME_LIMIT] or "Certificate"
    title, label = escape(plain), escape(plain, {'"': "&quot;"})
    ribbons = "".join(f'<polygon points="{_points(ribbon)}" fill="{_darker(fill)}"/>' for ribbon in RIBBONS)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" viewBox="0 0 {SIZE} {SIZE}" '
        f'role="img" aria-label="{label}">'
        f"<title>{title}</title>"
        f"{ribbons}"
        f'<polygon points="{_points(_rosette())}" fill="{fill}"/>'
        f'<circle cx="{CENTER[0]:g}" cy="{CENTER[1]:g}" r="{INNER_RADIUS:g}" fill="{INNER_FILL}" '
        f'stroke="{_darker(fill)}" stroke-width="6"/>'
        f'<text font-family="DejaVu Sans, Verdana, sans-serif" font-weight="bold" font-size="{FONT_SIZE}" '
        f'fill="{TEXT_COLOR}" text-anchor="middle">{text}</text>'
        "</svg>"
    )


@lru_cache(maxsize=1)
def _font() -> Any:
    try:
        return ImageFont.truetype(FONT_PATH, FONT_SIZE)
    except OSError:
        # No DejaVu on this machine: Pillow's own font (scalable since Pillow 10.1).
        return ImageFont.load_default(size=FONT_SIZE)


def png(*, name: str, color: str | None) -> bytes:
    """The same badge as a 512×512 PNG (unbaked)."""
    fill = _color(color)
    image = Image.new("RGBA", (SIZE, SIZE), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    for ribbon in RIBBONS:
        draw.polygon(list(ribbon), fill=_darker(fill))
    draw.polygon(_rosette(), fill=fill)
    box = (CENTER[0] - INNER_RADIUS, CENTER[1] - INNER_RADIUS, CENTER[0] + INNER_RADIUS, CENTER[1] + INNER_RADIUS)
    draw.ellipse(box, fill=INNER_FILL, outline=_darker(fill), width=6)
    font = _font()
    rows = lines(name)
    first_y = CENTER[1] - (len(rows) - 1) * LINE_HEIGHT / 2
    for index, row in enumerate(rows):
        draw.text((CENTER[0], first_y + index * LINE_HEIGHT), row, font=font, fill=TEXT_COLOR, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def achievement_name(award: Any) -> str:
    """What an award's badge says: its achievement name, else its course's or program's name."""
    if award.achievement_name:
        return str(award.achievement_name)
    source = award.course if award.course_id else award.program
    return str(getattr(source, "title", None) or getattr(source, "name", None) or "Certificate")


def award_svg(award: Any) -> str:
    return svg(name=achievement_name(award), color=award.organization.primary_color)


def award_png(award: Any) -> bytes:
    return png(name=achievement_name(award), color=award.organization.primary_color)
