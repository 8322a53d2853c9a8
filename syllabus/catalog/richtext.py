"""Rich text: the one allowlist every piece of authored HTML goes through, its plain text for search, and the
form field with the Trix editor.

- `sanitize_html(html, *, course_id=None) -> str` — nh3 (ammonia) with a small allowlist: headings h2–h6,
  paragraphs, lists, links (http, https, mailto and relative; `rel="noopener noreferrer"` added), strong/em/u/s,
  blockquote, code/pre, tables, figure/figcaption, and images whose `src` is an asset URL of *this* course
  (`catalog:asset`; no data: URLs, no other host). No style, no class, no script, no event handlers, no iframes.
  Without `course_id` every image is dropped. `<h1>` is reserved for the page title: its text stays, the tag goes.
- `html_to_text(html) -> str` — the words, with line breaks between blocks, for the catalog's full-text search.
- `asset_ids_in(html, *, course_id)` / `rewrite_asset_urls(html, *, asset_map)` — the assets an HTML body shows
  (a version's `asset_ids` must include them) and the same body for a copied course.

Using the editor in a form (the authoring pages, e.g. a course's description or a Page body):

    class DescriptionForm(forms.Form):
        description = RichTextField(label=_("Description"), required=False)

        def __init__(self, *args, course=None, **kwargs):
            super().__init__(*args, **kwargs)
            # With a course, images may be pasted or attached (uploaded to catalog:richtext-upload) and kept.
            self.fields["description"].set_course(course)

    {# in the page template, inside {% block content %}, once per page: #}
    {{ form.media }}
    {% include "web/_field.html" with field=form.description %}

The field renders `catalog/_richtext.html`: a plain <textarea> (works without JavaScript: the HTML is sanitised
anyway) that `catalog/static/catalog/richtext.js` turns into a Trix editor with its toolbar. Trix 2 injects its
default element styles as an inline <style>, which `style-src 'self'` refuses: richtext.js swallows that injection
and `catalog/richtext.css` carries the same rules as a file, so no CSP change is needed. The form's cleaned value
is sanitised HTML; services sanitise again (`sanitize_html`) because the API bypasses forms.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from html import unescape
from html.parser import HTMLParser
from typing import Any

import nh3
from django import forms
from django.forms.widgets import Script
from django.urls import NoReverseMatch, reverse

ALLOWED_TAGS = frozenset(
    {
        "h2", "h3", "h4", "h5", "h6", "p", "div", "br", "hr", "ul", "ol", "li", "a", "strong", "b", "em", "i",
        "u", "s", "del", "sub", "sup", "blockquote", "code", "pre", "table", "caption", "thead", "tbody",
        "tfoot", "tr", "th", "td", "figure", "figcaption", "img",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Removed with everything inside them (other unknown tags are unwrapped: their text stays).
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "template", "noscript", "iframe", "object", "embed", "svg", "math"}
)
_NUMBER = re.compile(r"^\d{1,5}$")
_BLOCKS = frozenset(
    {
        "p", "div", "br", "hr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr", "table",
        "figure", "figcaption", "ul", "ol", "caption", "section", "article",
    }
)  # fmt: skip
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


@cache
def _asset_url_parts() -> tuple[str, str]:
    """The asset URL around its course id: ("/courses/", "/assets/"), read from the URLconf."""
    url = reverse("catalog:asset", kwargs={"pk": 987654321, "asset_id": 123456789, "name": "n"})
    before, after = url.split("987654321", 1)
    return before, after.split("123456789", 1)[0]


def asset_url_pattern(course_id: int | None) -> re.Pattern[str]:
    """Matches the URL of an asset of this course (any course: None), relative, as the asset view builds it;
    group 1 is the asset id."""
    before, middle = _asset_url_parts()
    course = str(int(course_id)) if course_id is not None else r"\d+"
    return re.compile(rf"^{re.escape(before)}{course}{re.escape(middle)}(\d+)/[^/?#\s\"'<>]+$")


def _attribute_filter(course_id: int | None) -> Any:
    pattern = asset_url_pattern(course_id) if course_id is not None else None

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src":
            return value if pattern is not None and pattern.match(value) else None
        if attribute in {"width", "height", "colspan", "rowspan", "start"}:
            return value if _NUMBER.match(value) else None
        if attribute == "scope":
            return value if value in {"row", "col", "rowgroup", "colgroup"} else None
        return value

    return keep


def sanitize_html(html: str, *, course_id: int | None = None) -> str:
    """Authored HTML reduced to the allowlist above (see the module docstring). Idempotent."""
    if not html:
        return ""
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_attribute_filter(course_id),
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    # An image whose source was refused is nothing but a broken box: drop it (its alt text with it).
    cleaned = re.sub(r"<img(?![^>]*\bsrc=)[^>]*>", "", cleaned)
    # Every image needs a text alternative; the editor adds none (the caption beside it says what it shows).
    cleaned = re.sub(r"<img(?![^>]*\balt=)", '<img alt=""', cleaned)
    return cleaned.strip()


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROPPED_WITH_CONTENT:
            self._skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(f" {alt} ")
        elif tag in {"td", "th"}:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in DROPPED_WITH_CONTENT:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The readable text of an HTML fragment: words kept, tags gone, one line per block."""
    if not html:
        return ""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    text = unescape("".join(extractor.parts)).replace("\u00a0", " ")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n", "\n".join(line for line in lines if line)).strip()


_IMG_SRC = re.compile(r"""<img\b[^>]*?\bsrc=(["'])(.*?)\1""", re.IGNORECASE)


def asset_ids_in(html: str, *, course_id: int | None = None) -> list[int]:
    """The ids of the assets (of this course; any course: None) a (sanitised) body shows, in order, no repeats."""
    pattern = asset_url_pattern(course_id)
    found: list[int] = []
    for match in _IMG_SRC.finditer(html or ""):
        url = pattern.match(unescape(match.group(2)))
        if url and int(url.group(1)) not in found:
            found.append(int(url.group(1)))
    return found


def rewrite_asset_urls(html: str, *, asset_map: Mapping[int, int], course_ids: Mapping[int, int]) -> str:
    """The body of a copied course: each image of asset `old` now points at asset `asset_map[old]`, which belongs
    to course `course_ids[new]`. Images of assets missing from the map are dropped (their URL would 404)."""
    if not html:
        return html
    before, middle = _asset_url_parts()
    any_asset = re.compile(rf"^{re.escape(before)}(\d+){re.escape(middle)}(\d+)/([^/?#\s\"'<>]+)$")

    def replace(match: re.Match[str]) -> str:
        url = any_asset.match(unescape(match.group(2)))
        if url is None:
            return match.group(0)
        new_id = asset_map.get(int(url.group(2)))
        if new_id is None or new_id not in course_ids:
            return "<img"
        new_url = f"{before}{course_ids[new_id]}{middle}{new_id}/{url.group(3)}"
        return match.group(0).replace(match.group(2), new_url)

    rewritten = _IMG_SRC.sub(replace, html)
    return re.sub(r"<img(?![^>]*\bsrc=)[^>]*>", "", rewritten)


# --- the form field and its widget ------------------------------------------------------------------------------


class RichTextWidget(forms.Textarea):
    """A textarea that richtext.js turns into a Trix editor (see the module docstring)."""

    template_name = "catalog/_richtext.html"

    class Media:
        css = {"all": ["vendor/trix/trix.css", "catalog/richtext.css"]}
        # richtext.js first: it must be in place before Trix injects its styles (deferred scripts run in order).
        js = [Script("catalog/richtext.js", defer=True), Script("vendor/trix/trix.umd.min.js", defer=True)]

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"rows": 12, **(attrs or {})})
        self.upload_url = ""

    def use_required_attribute(self, initial: Any) -> bool:
        # The textarea is hidden once the editor takes over; a required hidden field blocks the form silently.
        return False

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        widget["upload_url"] = self.upload_url
        # The editor takes the textarea's place for assistive technology: same description, same invalid state.
        widget["editor_attrs"] = {
            key: value for key, value in widget["attrs"].items() if key in {"aria-describedby", "aria-invalid"}
        }
        return context


class RichTextField(forms.CharField):
    """A CharField whose value is sanitised HTML (images kept only when `set_course` named the course)."""

    widget = RichTextWidget

    def __init__(self, *args: Any, course_id: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("strip", True)
        super().__init__(*args, **kwargs)
        self.course_id: int | None = None
        self.set_course(course_id)

    def set_course(self, course: Any) -> None:
        """Let the editor upload and keep images of this course (a Course or its id; None: no images)."""
        course_id = getattr(course, "pk", course)
        self.course_id = int(course_id) if course_id is not None else None
        if isinstance(self.widget, RichTextWidget):
            self.widget.upload_url = _upload_url(self.course_id)

    def clean(self, value: Any) -> str:
        cleaned = super().clean(value)
        return sanitize_html(cleaned or "", course_id=self.course_id)


def render_widget(
    *, name: str, value: str, element_id: str, course_id: int | None, described_by: str = "", invalid: bool = False
) -> str:
    """The editor outside a Django form (an activity kind's author fields); the page adds `RichTextWidget().media`."""
    widget = RichTextWidget()
    widget.upload_url = _upload_url(course_id)
    attrs: dict[str, Any] = {"id": element_id}
    if described_by:
        attrs["aria-describedby"] = described_by
    if invalid:
        attrs["aria-invalid"] = "true"
    return widget.render(name, value, attrs=attrs)


def _upload_url(course_id: int | None) -> str:
    if course_id is None:
        return ""
    try:
        return reverse("catalog:richtext-upload", args=[course_id])
    except NoReverseMatch:
        return ""
