"""Drawing certificates: a template's HTML and CSS, filled with one certificate's values, to a one-page PDF.

How a certificate is drawn, in order:
1. the values (`context_for`, or `sample_context` for previews): escaped text, dates written in the organisation's
   language and time zone, and three pieces of markup built here (the QR code, the logo, the signatories);
2. the template's HTML with its `{{ placeholders }}` replaced (`placeholders.substitute`, one regex pass), then
   sanitised with nh3 (`sanitize`): structural and text tags, `class`/`style`/`id`; no scripts, event handlers,
   frames, forms, objects; links only to http(s) and mailto; images only from `data:` URIs. Sanitising after
   substituting means nothing a value or the author wrote can leave this list, wherever it was placed;
3. the document (`certificates/pdf/document.html`): the font stack, the author's CSS (checked by `css_problems`:
   no `@import`, no `url(...)` but `data:`), then `@page { size }` from the template's page size;
4. WeasyPrint, with a URL fetcher that loads `data:` URIs and nothing else (the logo is read from storage here and
   written into the document as a `data:` URI), so a template can never make the worker request anything.

Fonts come from the system through fontconfig (DejaVu for Latin, Greek and Cyrillic, Noto CJK for Chinese, Japanese
and Korean; see `progress.transcripts`); WeasyPrint embeds the subset it uses, so the PDF reads the same anywhere.

The worker calls `render_and_store` once per certificate (task `render_certificate`) and `render_pending` nightly;
neither raises: a certificate that cannot be drawn is marked `failed` with the reason, for a person to look at,
instead of a task retrying forever.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import mimetypes
import re
import uuid
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import nh3
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from syllabus.accounts.models import Organization
from syllabus.certificates import credentials, placeholders

# `last_valid_day` is imported here for callers of `rendering.last_valid_day`: it lives with the model.
from syllabus.certificates.models import (
    PAGE_SIZE_CSS,
    Certificate,
    PageSize,
    Source,
    Template,
    last_valid_day,
    organization_zone,
)
from syllabus.core import clock

logger = logging.getLogger(__name__)

# The system fonts asked of fontconfig, in order: each character is drawn with the first that has it.
SANS_FONTS = '"DejaVu Sans", "Noto Sans", "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK KR", sans-serif'
SERIF_FONTS = '"DejaVu Serif", "Noto Serif", "Noto Serif CJK SC", "Noto Serif CJK JP", "Noto Serif CJK KR", serif'

# Page sizes in millimetres (width, height): the preview draws the page at its size, and designs size themselves
# with the CSS variables --page-width and --page-height.
PAGE_DIMENSIONS: dict[str, tuple[str, str]] = {
    PageSize.A4_LANDSCAPE: ("297mm", "210mm"),
    PageSize.A4_PORTRAIT: ("210mm", "297mm"),
    PageSize.LETTER_LANDSCAPE: ("279.4mm", "215.9mm"),
    PageSize.LETTER_PORTRAIT: ("215.9mm", "279.4mm"),
}

NO_FETCH = "A certificate loads no external resource."
LOGO_MAX_BYTES = 1_000_000  # a bigger logo is left out of the certificate rather than slow down every PDF
LOGO_TYPES = ("image/png", "image/jpeg", "image/gif", "image/svg+xml", "image/webp")
RENDER_ERROR_MAX = 500
PENDING_AFTER = dt.timedelta(minutes=10)  # the sweep leaves younger ones to the task queued at issue
STORAGE_PREFIX = "certificates"

# --- CSS checks -------------------------------------------------------------------------------------------------

CSS_IMPORT = "Line {line}: @import is not allowed. Put every style in this field."
CSS_URL = "Line {line}: url(…) may only hold a data: URI (an image or a font written into the CSS)."
CSS_IMAGE_SET = "Line {line}: image-set(…) is not allowed. Use url() with a data: URI."
CSS_END_TAG = "Line {line}: the CSS may not contain “</”."
STYLE_URL = "Line {line}: a style attribute may only use url(…) with a data: URI, and no @import."

_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_CSS_HEX_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})[ \t]?")
_CSS_ESCAPE = re.compile(r"\\([^\n0-9a-fA-F])")
# `url(` or `src(` whose argument is not a data: URI, quoted or not. Possessive `\s*+`: backtracking into the
# spaces would let the lookahead start on a space or a quote and refuse `url("data:…")` for no reason.
_CSS_URL = re.compile(r"(?<![\w-])(?:url|src)\(\s*+(?![\"']?\s*data:)", re.I)
_CSS_IMAGE_SET = re.compile(r"image-set\(", re.I)
_CSS_IMPORT = re.compile(r"@import", re.I)


def _css_plain(css: str) -> str:
    """`css` as a browser reads its tokens: comments blanked (their newlines kept, so lines still count) and
    escapes decoded, so `\\75 rl(` or `@im\\port` are seen for what they are."""

    def blank(match: re.Match[str]) -> str:
        return "\n" * match.group(0).count("\n")

    def hex_char(match: re.Match[str]) -> str:
        code = int(match.group(1), 16)
        return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"

    text = _CSS_COMMENT.sub(blank, css)
    text = _CSS_HEX_ESCAPE.sub(hex_char, text)
    return _CSS_ESCAPE.sub(lambda match: match.group(1), text)


def css_problems(css: str) -> list[str]:
    """What the CSS may not do, one message per problem and line: fetch anything (`@import`, `url()` other than
    `data:`) or close the `<style>` element it is written into."""
    out: list[str] = []
    for number, line in enumerate(_css_plain(css).split("\n"), start=1):
        if _CSS_IMPORT.search(line):
            out.append(CSS_IMPORT.format(line=number))
        if _CSS_URL.search(line):
            out.append(CSS_URL.format(line=number))
        if _CSS_IMAGE_SET.search(line):
            out.append(CSS_IMAGE_SET.format(line=number))
        if "</" in line:
            out.append(CSS_END_TAG.format(line=number))
    return out


def _style_fetches(value: str) -> bool:
    plain = _css_plain(value)
    return bool(_CSS_IMPORT.search(plain) or _CSS_URL.search(plain) or _CSS_IMAGE_SET.search(plain))


def html_problems(html: str) -> list[str]:
    """What is wrong with a template's HTML: its placeholders, and style attributes that would fetch something.
    Everything else the sanitiser drops is dropped silently (a template is a design, not a program)."""
    out = placeholders.problems(html)
    for number, line in enumerate(html.splitlines(), start=1):
        for match in re.finditer(r"style\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", line, re.I):
            if _style_fetches(match.group(1)):
                out.append(STYLE_URL.format(line=number))
    return out


# --- sanitising ---------------------------------------------------------------------------------------------------

ALLOWED_TAGS = frozenset(
    {
        *("div", "span", "p", "br", "hr", "section", "article", "header", "footer", "aside", "figure", "figcaption"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "address", "small", "big", "center"),
        *("strong", "em", "b", "i", "u", "s", "sub", "sup", "mark", "abbr", "cite", "q", "time", "bdi", "bdo"),
        *("ul", "ol", "li", "dl", "dt", "dd"),
        *("table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td"),
        *("img", "a"),
    }
)
# Removed with everything inside them (other unknown tags are removed, their text kept).
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "frame", "frameset", "object", "embed", "template", "noscript", "svg", "math"}
    | {"textarea", "select", "title", "head", "applet", "audio", "video", "canvas", "link", "meta", "base"}
)
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class", "style", "id", "lang", "dir", "title"},
    "img": {"src", "alt", "width", "height"},
    "a": {"href"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "reversed"},
    "time": {"datetime"},
}
LINK_SCHEMES = ("http://", "https://", "mailto:")
IMAGE_PREFIX = "data:image/"


def _attribute_filter(element: str, attribute: str, value: str) -> str | None:
    if attribute == "href":
        return value if value.strip().lower().startswith(LINK_SCHEMES) else None
    if attribute == "src":
        return value if value.strip().lower().startswith(IMAGE_PREFIX) else None
    if attribute == "style" and _style_fetches(value):
        return None
    return value


def sanitize(html: str) -> str:
    """Only what a certificate needs: structure, text, tables, data: images and plain links (see the module)."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes={"http", "https", "mailto", "data"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


# --- what a template is drawn from ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signatory:
    name: str
    title: str = ""


@dataclass(frozen=True)
class TemplateFields:
    """What drawing needs of a template: a saved one, the editor's form as typed, or a built-in design."""

    html: str
    css: str = ""
    page_size: str = PageSize.A4_LANDSCAPE
    signatories: tuple[Signatory, ...] = field(default_factory=tuple)
    name: str = ""

    @classmethod
    def of(cls, template: Template) -> TemplateFields:
        return cls(
            html=template.html,
            css=template.css,
            page_size=template.page_size,
            signatories=signatories_of(template.signatories),
            name=template.name,
        )


def signatories_of(value: Any) -> tuple[Signatory, ...]:
    """Signatories as stored (a list of {"name", "title"}); anything malformed is skipped, never drawn."""
    out: list[Signatory] = []
    for row in value if isinstance(value, list) else []:
        if isinstance(row, Mapping) and str(row.get("name") or "").strip():
            out.append(Signatory(name=str(row["name"]).strip(), title=str(row.get("title") or "").strip()))
    return tuple(out)


# --- values --------------------------------------------------------------------------------------------------------


def _zone(organization: Organization) -> zoneinfo.ZoneInfo:
    return organization_zone(organization)


def _language(organization: Organization) -> str:
    return organization.default_language or "en"


def _day(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    return date_format(moment.astimezone(zone).date(), "j F Y")


def _score(score: Decimal | None) -> str:
    if score is None:
        return ""
    return f"{score.normalize():f}%"


def qr_code(url: str) -> SafeString:
    """An <img> of an SVG QR code of `url`, written into the document as a data: URI."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10, border=2)
    encoded = base64.b64encode(image.to_string()).decode("ascii")
    return format_html(
        '<img class="certificate-qr" src="data:image/svg+xml;base64,{}" alt="{}">',
        encoded,
        _("QR code of the verification page"),
    )


def logo(organization: Organization) -> SafeString:
    """An <img> of the organisation's logo read from storage (a data: URI), or nothing: without a logo, or when
    it cannot be read, is of another type or is too big."""
    if not organization.logo:
        return mark_safe("")
    mime, _encoding = mimetypes.guess_type(organization.logo.name)
    if mime not in LOGO_TYPES:
        return mark_safe("")
    try:
        with organization.logo.storage.open(organization.logo.name, "rb") as handle:
            data = handle.read(LOGO_MAX_BYTES + 1)
    except OSError:
        logger.warning("Certificates: the logo of organisation %s could not be read", organization.pk)
        return mark_safe("")
    if len(data) > LOGO_MAX_BYTES:
        return mark_safe("")
    return format_html(
        '<img class="certificate-logo" src="data:{};base64,{}" alt="{}">',
        mime,
        base64.b64encode(data).decode("ascii"),
        organization.name,
    )


def signatories_block(signatories: Sequence[Signatory]) -> SafeString:
    """Each signatory with a line to sign on, their name and title; nothing when there are none."""
    if not signatories:
        return mark_safe("")
    rows = format_html_join(
        "",
        '<div class="signatory"><div class="signatory-line"></div>'
        '<p class="signatory-name">{}</p><p class="signatory-title">{}</p></div>',
        ((s.name, s.title) for s in signatories),
    )
    return format_html('<div class="signatories">{}</div>', rows)


def _values(
    *,
    organization: Organization,
    learner_name: str,
    title: str,
    source: str,
    issued_at: dt.datetime,
    expires_at: dt.datetime | None,
    score: Decimal | None,
    version: str,
    public_id: uuid.UUID,
    signatories: Sequence[Signatory],
) -> dict[str, str]:
    zone = _zone(organization)
    url = credentials.absolute(reverse("certificates:verify", args=[public_id]))
    with translation.override(_language(organization)):
        until = date_format(last_valid_day(expires_at, zone), "j F Y") if expires_at else ""
        return {
            "learner_name": learner_name,
            "title": title,
            "kind": _("program") if source == Source.PROGRAM else _("course"),
            "issued_on": _day(issued_at, zone),
            "expires_on": until,
            "valid_until_sentence": _("Valid until %(day)s") % {"day": until} if until else "",
            "score": _score(score),
            "version": version,
            "certificate_id": str(public_id),
            "verify_url": url,
            "qr_code": qr_code(url),
            "organization_name": organization.name,
            "organization_logo": logo(organization),
            "signatories": signatories_block(signatories),
        }


def context_for(certificate: Certificate, fields: TemplateFields | None = None) -> dict[str, str]:
    """The values of `certificate`'s placeholders (the signatories are those of the template it is drawn with)."""
    fields = fields or fields_for(certificate)[0]
    return _values(
        organization=certificate.organization,
        learner_name=certificate.recipient_name,
        title=certificate.title,
        source=certificate.source,
        issued_at=certificate.issued_at,
        expires_at=certificate.expires_at,
        score=certificate.score,
        version=certificate.version_label,
        public_id=certificate.public_id,
        signatories=fields.signatories,
    )


SAMPLE_LEARNER = "Zoë Łukasiewicz-Nakamura 中村"
SAMPLE_ID = uuid.UUID("00000000-0000-4000-8000-000000000000")


def sample_context(organization: Organization, signatories: Sequence[Signatory] = ()) -> dict[str, str]:
    """Made-up values for previews, with a name that needs Latin, Polish and CJK fonts."""
    issued = clock.now()
    return _values(
        organization=organization,
        learner_name=SAMPLE_LEARNER,
        title=_("Safe handling of hazardous substances"),
        source=Source.COURSE,
        issued_at=issued,
        expires_at=issued + dt.timedelta(days=365),
        score=Decimal("92.5"),
        version="v3",
        public_id=SAMPLE_ID,
        signatories=signatories,
    )


# --- the document ---------------------------------------------------------------------------------------------------


def _safe_css(css: str) -> str:
    # Saved CSS is checked for "</" already; this keeps older or imported CSS inside its <style> element too.
    return css.replace("</", "<\\/")


def document_context(fields: TemplateFields, values: Mapping[str, str], *, language: str = "en") -> dict[str, Any]:
    width, height = PAGE_DIMENSIONS.get(fields.page_size, PAGE_DIMENSIONS[PageSize.A4_LANDSCAPE])
    body = sanitize(placeholders.substitute(fields.html, values))
    return {
        "language": language,
        "document_title": " — ".join(v for v in (values.get("title", ""), values.get("learner_name", "")) if v),
        "organization_name": values.get("organization_name", ""),
        "sans_fonts": SANS_FONTS,
        "serif_fonts": SERIF_FONTS,
        "page_width": width,
        "page_height": height,
        "page_size": PAGE_SIZE_CSS.get(fields.page_size, PAGE_SIZE_CSS[PageSize.A4_LANDSCAPE]),
        # Safe to mark: checked CSS kept inside its element, and HTML sanitised by nh3 just above.
        "author_css": mark_safe(_safe_css(fields.css)),
        "body": mark_safe(body),
    }


def render_html(fields: TemplateFields, context: Mapping[str, str], *, language: str = "en") -> str:
    """The whole HTML document of one certificate: what WeasyPrint draws."""
    return render_to_string("certificates/pdf/document.html", document_context(fields, context, language=language))


def _fetch_data_only(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """WeasyPrint's URL fetcher: data: URIs (the QR code, the logo, images and fonts in the CSS), nothing else."""
    if url.lower().startswith("data:"):
        import weasyprint

        return dict(weasyprint.default_url_fetcher(url))
    raise ValueError(NO_FETCH)


def pdf_from_html(html: str) -> bytes:
    import weasyprint  # here: loading Pango costs time that only drawing should pay

    return bytes(weasyprint.HTML(string=html, url_fetcher=_fetch_data_only).write_pdf())


def fields_for(certificate: Certificate) -> tuple[TemplateFields, Template | None]:
    """The template a certificate is drawn with: its own, else its award's, else the organisation's default,
    else the built-in classic design (so a deleted template never leaves a certificate undrawable)."""
    from syllabus.certificates import default_templates

    template = certificate.template
    if template is None and certificate.award is not None:
        template = certificate.award.template
    if template is None:
        template = Template.objects.filter(organization_id=certificate.organization_id, is_default=True).first()
    if template is None:
        return default_templates.builtin_fields(), None
    return TemplateFields.of(template), template


def render_pdf(certificate: Certificate) -> bytes:
    """The PDF of one certificate, drawn with its template as that template is now."""
    fields, _template = fields_for(certificate)
    html = render_html(fields, context_for(certificate, fields), language=_language(certificate.organization))
    return pdf_from_html(html)


def preview_pdf(fields: TemplateFields, organization: Organization) -> bytes:
    """A template drawn with made-up values (the editor's "Preview as PDF", the API's preview)."""
    html = render_html(fields, sample_context(organization, fields.signatories), language=_language(organization))
    return pdf_from_html(html)


# --- the worker -------------------------------------------------------------------------------------------------


def _file_name(certificate: Certificate) -> str:
    issued = certificate.issued_at
    return f"{STORAGE_PREFIX}/{issued:%Y}/{issued:%m}/{certificate.public_id}.pdf"


def _short_error(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= RENDER_ERROR_MAX else text[: RENDER_ERROR_MAX - 1] + "…"


def _has_file(certificate: Certificate) -> bool:
    if not certificate.pdf:
        return False
    try:
        return bool(default_storage.exists(certificate.pdf.name))
    except OSError:
        return False


def render_and_store(certificate_id: int) -> str:
    """Draw one certificate's PDF and keep it in storage; returns its render state.

    Idempotent: a certificate already `ready` with its file is left alone. A failure is recorded (`failed`, with a
    short reason) and logged, never raised. Two workers drawing the same certificate at once: the first to record
    its file wins, the other removes its own copy.
    """
    certificate = (
        Certificate.objects.select_related("organization", "template", "award__template")
        .filter(pk=certificate_id)
        .first()
    )
    if certificate is None:
        return "missing"
    if certificate.render_state == Certificate.RenderState.READY and _has_file(certificate):
        return str(Certificate.RenderState.READY)
    try:
        fields, template = fields_for(certificate)
        html = render_html(fields, context_for(certificate, fields), language=_language(certificate.organization))
        pdf = pdf_from_html(html)
        stored = default_storage.save(_file_name(certificate), ContentFile(pdf))
    except Exception as exc:
        logger.exception("Certificates: certificate %s could not be drawn", certificate_id)
        Certificate.objects.filter(pk=certificate_id).update(
            render_state=Certificate.RenderState.FAILED, render_error=_short_error(exc)
        )
        return str(Certificate.RenderState.FAILED)
    # Recorded only if nothing changed since this drawing started: nobody else recorded one (rendered_at), nobody
    # asked for it again or erased the holder meanwhile (render_state), and the name printed is still the
    # certificate's (an erasure during the drawing must not get back a PDF with the erased name).
    recorded = Certificate.objects.filter(
        pk=certificate.pk,
        rendered_at=certificate.rendered_at,
        render_state=certificate.render_state,
        recipient_name=certificate.recipient_name,
    ).update(
        pdf=stored,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        rendered_at=clock.now(),
        template=template,
        template_revision=template.revision if template is not None else None,
        render_state=Certificate.RenderState.READY,
        render_error="",
    )
    if not recorded:
        default_storage.delete(stored)
        return str(Certificate.objects.filter(pk=certificate.pk).values_list("render_state", flat=True).first())
    previous = certificate.pdf.name if certificate.pdf else ""
    if previous and previous != stored:
        # Drawn again (certificate_rerender): the old file goes, the certificate points at the new one.
        default_storage.delete(previous)
    return str(Certificate.RenderState.READY)


def render_pending(limit: int = 500) -> int:
    """The nightly sweep: draw certificates still pending 10 minutes after they were made (the task queued at
    issue was lost, or the broker was down). Returns how many were drawn. Failed ones wait for a person."""
    before = clock.now() - PENDING_AFTER
    ids = list(
        Certificate.objects.filter(render_state=Certificate.RenderState.PENDING, created_at__lte=before)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in ids if render_and_store(pk) == Certificate.RenderState.READY)
