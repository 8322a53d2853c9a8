"""Drawing certificates: every placeholder's value (dates in the organisation's time zone), the ready-made designs on
one page whatever the title's length, fonts embedded for any script, nothing fetched, and the worker's side:
drawn once and stored, a failure recorded instead of raised, the nightly sweep of pending ones."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zlib
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from syllabus.certificates import default_templates, rendering, tasks
from syllabus.certificates.models import Certificate, PageSize, Template
from syllabus.certificates.rendering import Signatory, TemplateFields
from syllabus.certificates.services import issuing
from tests.certificates.conftest import NOW, finish

pytestmark = pytest.mark.django_db

EVERY_PLACEHOLDER = "\n".join(
    f'<p class="{name}">[{{{{ {name} }}}}]</p>' for name in sorted(rendering.placeholders.NAMES)
)
UNICODE_NAME = "Zoë Łukasiewicz-Nakamura 中村 Αλέξανδρος"
LONG_TITLE = (
    "Advanced occupational health and safety for laboratory supervisors working with hazardous biological agents!"
)


def issue(world, award, *, name: str | None = None, score: str | None = "91.5", expires=None) -> Certificate:  # type: ignore[no-untyped-def]
    if name is not None:
        user = world.learner.user
        user.display_name = name
        user.first_name, user.last_name = name, ""
        user.save()
    certificate = issuing.issue_for_course_completion(
        finish(world.learner, award.course, NOW, score=score, expires=expires).pk
    )
    assert certificate is not None
    return certificate


def by_class(html: str, name: str) -> str:
    match = re.search(rf'<p class="{name}">\[(.*?)\]</p>', html, re.S)
    assert match, name
    return match.group(1)


# --- PDF inspection without extra dependencies: inflate every stream, read the ToUnicode maps ---------------------


def pdf_streams(pdf: bytes) -> list[bytes]:
    out = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(match.group(1)))
        except zlib.error:
            out.append(match.group(1))
    return out


def _utf16(hex_text: bytes) -> str:
    return bytes.fromhex(hex_text.decode()).decode("utf-16-be", errors="replace")


def mapped_characters(pdf: bytes) -> set[str]:
    """Every character the PDF's ToUnicode CMaps map a glyph to: the text a reader extracts."""
    chars: set[str] = set()
    for stream in pdf_streams(pdf):
        if b"begincmap" not in stream:
            continue
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", stream, re.S):
            for _src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                chars.update(_utf16(dst))
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", stream, re.S):
            for low, high, rest in re.findall(
                rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(\[[^\]]*\]|<[0-9A-Fa-f]+>)", block
            ):
                if rest.startswith(b"["):
                    for dst in re.findall(rb"<([0-9A-Fa-f]+)>", rest):
                        chars.update(_utf16(dst))
                else:
                    start = int(rest[1:-1], 16)
                    for offset in range(int(high, 16) - int(low, 16) + 1):
                        chars.add(chr(start + offset))
    return chars


# --- values ---------------------------------------------------------------------------------------------------------


def test_every_placeholder_is_filled_from_the_certificate(world, award, moved_clock, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SITE_URL = "https://learn.example.test/"
    world.org.default_time_zone = "Pacific/Auckland"  # UTC+13 in March: 2 March 09:30 UTC is 2 March 22:30 there
    world.org.save()
    # Expires at the start of 3 March 2027 in Auckland: valid until 2 March.
    expires = dt.datetime(2027, 3, 2, 11, 0, tzinfo=dt.UTC)
    certificate = issue(world, award, expires=expires)
    award.template.signatories = [{"name": "Dr. Ada <Byron>", "title": "Head & Chief"}]
    award.template.save()
    fields = TemplateFields(html=EVERY_PLACEHOLDER, signatories=(Signatory("Dr. Ada <Byron>", "Head & Chief"),))

    html = rendering.render_html(fields, rendering.context_for(certificate, fields))

    assert by_class(html, "learner_name") == "Lena Learner"
    assert by_class(html, "title") == award.course.title
    assert by_class(html, "kind") == "course"
    assert by_class(html, "issued_on") == "2 March 2026"
    assert by_class(html, "expires_on") == "2 March 2027"
    assert by_class(html, "valid_until_sentence") == "Valid until 2 March 2027"
    assert by_class(html, "score") == "91.5%"
    assert by_class(html, "version") == "v1"
    assert by_class(html, "certificate_id") == str(certificate.public_id)
    verify = f"https://learn.example.test/certificates/verify/{certificate.public_id}/"
    assert by_class(html, "verify_url") == verify
    assert by_class(html, "organization_name") == "Acme Health"
    assert by_class(html, "organization_logo") == ""  # no logo
    assert re.fullmatch(
        r'<img class="certificate-qr" src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="[^"]+">',
        by_class(html, "qr_code"),
    )
    signatories = by_class(html, "signatories")
    assert "Dr. Ada &lt;Byron&gt;" in signatories and "Head &amp; Chief" in signatories
    assert 'class="signatory-line"' in signatories


def test_a_certificate_without_expiry_or_score_leaves_those_empty(world, award, moved_clock) -> None:  # type: ignore[no-untyped-def]
    certificate = issue(world, award, score=None)
    values = rendering.context_for(certificate)
    assert values["expires_on"] == values["valid_until_sentence"] == values["score"] == ""


def test_the_qr_code_encodes_the_verification_url(world, award, moved_clock) -> None:  # type: ignore[no-untyped-def]
    import base64

    certificate = issue(world, award)
    image = rendering.context_for(certificate)["qr_code"]
    svg = base64.b64decode(re.search(r"base64,([^\"]+)", image).group(1))  # type: ignore[union-attr]
    assert svg.startswith(b"<?xml") or b"<svg" in svg[:200]
    assert b"<path" in svg


def test_the_logo_comes_from_storage_as_a_data_uri_and_a_huge_one_is_left_out(world, award, moved_clock) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    world.org.logo.save("logo.png", ContentFile(buffer.getvalue()))
    certificate = issue(world, award)
    certificate.organization.refresh_from_db()
    logo = rendering.context_for(certificate)["organization_logo"]
    assert logo.startswith('<img class="certificate-logo" src="data:image/png;base64,') and 'alt="Acme Health"' in logo

    world.org.logo.save("huge.png", ContentFile(b"\x89PNG" + b"0" * (rendering.LOGO_MAX_BYTES + 1)))
    assert rendering.logo(world.org) == ""
    world.org.logo.save("logo.html", ContentFile(b"<script>alert(1)</script>"))
    assert rendering.logo(world.org) == ""


def test_the_sample_values_use_a_unicode_name(world) -> None:  # type: ignore[no-untyped-def]
    values = rendering.sample_context(world.org, (Signatory("Ana", "CEO"),))
    assert values["learner_name"] == "Zoë Łukasiewicz-Nakamura 中村"
    assert "Ana" in values["signatories"] and values["valid_until_sentence"].startswith("Valid until ")


def test_the_document_puts_the_page_size_last_and_keeps_css_inside_its_element() -> None:
    fields = TemplateFields(
        html="<p>x</p>",
        css="@page { size: A5; } p { content: '</style><script>x</script>' }",
        page_size=PageSize.LETTER_PORTRAIT,
    )
    html = rendering.render_html(fields, {})
    assert html.rindex("size: letter portrait") > html.index("size: A5")
    assert "</style><script>" not in html
    assert "--page-width: 215.9mm" in html


# --- PDF ------------------------------------------------------------------------------------------------------------


def _pages(fields: TemplateFields, values: dict[str, str]) -> int:
    import weasyprint

    document = weasyprint.HTML(string=rendering.render_html(fields, values), url_fetcher=rendering._fetch_data_only)
    return len(document.render().pages)


@pytest.mark.parametrize("design", ["classic", "modern"])
@pytest.mark.parametrize("page_size", list(PageSize.values))
def test_a_ready_made_design_stays_on_one_page_with_a_long_title_and_name(world, design: str, page_size: str) -> None:  # type: ignore[no-untyped-def]
    _name, made = default_templates.designs()[design]
    signatories = tuple(
        Signatory(f"Signatory number {n} with a long name", "Chief executive officer") for n in range(4)
    )
    fields = TemplateFields(html=made.html, css=made.css, page_size=page_size, signatories=signatories)
    values = rendering.sample_context(world.org, signatories)
    values["title"] = "T" * (120 - len(LONG_TITLE)) + LONG_TITLE
    assert len(values["title"]) == 120
    values["learner_name"] = UNICODE_NAME + " Wolfeschlegelsteinhausenbergerdorff"
    assert _pages(fields, values) == 1
    # Even an absurd name (300 characters) does not spill onto a second page: it is clipped.
    values["learner_name"] = "Wolfeschlegelsteinhausen " * 12
    assert _pages(fields, values) == 1


def test_the_designs_have_no_problems(world) -> None:  # type: ignore[no-untyped-def]
    for _name, made in default_templates.designs().values():
        assert rendering.html_problems(made.html) == []
        assert rendering.css_problems(made.css) == []


def test_a_pdf_embeds_its_fonts_and_carries_the_text_of_a_cjk_polish_greek_name(world, award, moved_clock) -> None:  # type: ignore[no-untyped-def]
    certificate = issue(world, award, name=UNICODE_NAME)
    assert certificate.recipient_name == UNICODE_NAME

    pdf = rendering.render_pdf(certificate)

    assert pdf.startswith(b"%PDF")
    inflated = b"\n".join(pdf_streams(pdf)) + pdf
    assert re.search(rb"/FontFile[23]?\b", inflated), "fonts are embedded"
    assert b"CJK" in inflated and b"DejaVu" in inflated  # both font families were needed, and embedded
    assert b"/ToUnicode" in inflated
    missing = set(UNICODE_NAME.replace(" ", "")) - mapped_characters(pdf)
    assert not missing, f"not extractable from the PDF: {missing}"


def test_nothing_is_fetched_while_drawing(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import weasyprint

    asked: list[str] = []
    real = weasyprint.default_url_fetcher

    def spy(url: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(url)
        return real(url, *args, **kwargs)

    monkeypatch.setattr(weasyprint, "default_url_fetcher", spy)
    # Saved before validation existed, or written to the database by hand: the fetcher still refuses.
    fields = TemplateFields(
        html='<p>x</p><img src="http://127.0.0.1:9/i.png">',
        css="@import url(http://127.0.0.1:9/x.css); p { background: url(http://127.0.0.1:9/b.png); }",
    )
    pdf = rendering.pdf_from_html(rendering.render_html(fields, {}))
    assert pdf.startswith(b"%PDF")
    assert [url for url in asked if not url.startswith("data:")] == []
    with pytest.raises(ValueError, match=rendering.NO_FETCH):
        rendering._fetch_data_only("file:///etc/passwd")


def test_a_certificate_whose_template_is_gone_is_drawn_with_the_default_or_the_built_in_design(
    world, award, moved_clock
) -> None:  # type: ignore[no-untyped-def]
    certificate = issue(world, award)
    Certificate.objects.filter(pk=certificate.pk).update(template=None, award=None)
    certificate.refresh_from_db()
    fields, template = rendering.fields_for(certificate)
    assert template == award.template  # the organisation's default
    Template.objects.filter(pk=award.template.pk).update(is_default=False)
    fields, template = rendering.fields_for(certificate)
    assert template is None and fields.html == default_templates.builtin_fields().html
    assert rendering.render_pdf(certificate).startswith(b"%PDF")


# --- the worker -----------------------------------------------------------------------------------------------------


def test_render_and_store_draws_once_and_records_the_file(world, award, moved_clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    certificate = issue(world, award)
    assert certificate.render_state == "pending"

    assert rendering.render_and_store(certificate.pk) == "ready"

    certificate.refresh_from_db()
    assert certificate.render_state == "ready" and certificate.render_error == ""
    assert certificate.pdf.name == f"certificates/2026/03/{certificate.public_id}.pdf"
    data = default_storage.open(certificate.pdf.name).read()
    assert data.startswith(b"%PDF") and hashlib.sha256(data).hexdigest() == certificate.pdf_sha256
    assert certificate.rendered_at == NOW
    assert certificate.template_revision == award.template.revision

    def must_not_draw(html: str) -> bytes:
        raise AssertionError("drawn twice")

    monkeypatch.setattr(rendering, "pdf_from_html", must_not_draw)
    assert rendering.render_and_store(certificate.pk) == "ready"
    assert tasks.render_certificate(certificate.pk) == "ready"


def test_a_failure_is_recorded_not_raised(world, award, moved_clock, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    certificate = issue(world, award)

    def broken(html: str) -> bytes:
        raise RuntimeError("the font cache is gone " + "x" * 1000)

    monkeypatch.setattr(rendering, "pdf_from_html", broken)
    assert tasks.render_certificate(certificate.pk) == "failed"
    certificate.refresh_from_db()
    assert certificate.render_state == "failed" and not certificate.pdf
    assert certificate.render_error.startswith("RuntimeError: the font cache is gone")
    assert len(certificate.render_error) <= rendering.RENDER_ERROR_MAX
    assert "could not be drawn" in caplog.text
    assert rendering.render_and_store(10**9) == "missing"


def test_a_ready_certificate_whose_file_vanished_is_drawn_again_and_a_redraw_replaces_the_file(
    world, award, moved_clock
) -> None:  # type: ignore[no-untyped-def]
    certificate = issue(world, award)
    rendering.render_and_store(certificate.pk)
    certificate.refresh_from_db()
    first = certificate.pdf.name
    default_storage.delete(first)
    assert rendering.render_and_store(certificate.pk) == "ready"
    assert default_storage.exists(first)

    # Drawn again on purpose (certificate_rerender marks it pending): one file remains, the new one.
    award.template.html += "<p>{{ score }}</p>"
    award.template.revision += 1
    award.template.save()
    Certificate.objects.filter(pk=certificate.pk).update(render_state="pending")
    moved_clock.move(minutes=5)
    assert rendering.render_and_store(certificate.pk) == "ready"
    certificate.refresh_from_db()
    assert default_storage.exists(certificate.pdf.name)
    assert certificate.template_revision == award.template.revision
    assert certificate.rendered_at == NOW + dt.timedelta(minutes=5)
    if certificate.pdf.name != first:
        assert not default_storage.exists(first)


def test_the_sweep_draws_pending_certificates_older_than_ten_minutes_only(world, award, moved_clock) -> None:  # type: ignore[no-untyped-def]
    old = issue(world, award)
    young = issuing.issue_for_course_completion(finish(world.report, award.course, NOW).pk)
    failed = issuing.issue_for_course_completion(finish(world.manager, award.course, NOW).pk)
    Certificate.objects.filter(pk=old.pk).update(created_at=NOW - dt.timedelta(minutes=11))
    Certificate.objects.filter(pk=young.pk).update(created_at=NOW - dt.timedelta(minutes=9))
    Certificate.objects.filter(pk=failed.pk).update(created_at=NOW - dt.timedelta(hours=2), render_state="failed")

    assert rendering.render_pending() == 1

    states = dict(Certificate.objects.values_list("pk", "render_state"))
    assert states == {old.pk: "ready", young.pk: "pending", failed.pk: "failed"}
    assert rendering.render_pending() == 0


def test_issuing_on_completion_draws_the_pdf_after_commit(
    world, award, moved_clock, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    completion = finish(world.learner, award.course, NOW, score="80")
    with django_capture_on_commit_callbacks(execute=True):
        certificate = issuing.issue_for_course_completion(completion.pk)
    certificate.refresh_from_db()
    assert certificate.render_state == "ready"
    assert default_storage.exists(certificate.pdf.name)
    assert certificate.score == Decimal("80")
