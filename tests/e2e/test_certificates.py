"""Certificates and Open Badges (issue #10) in a real browser: the public verification page opened from the QR
code's address, valid then revoked, and an unknown id; an officer writing a template by keyboard while the live
preview follows; a learner finding, downloading and badging their certificate; an officer revoking one by keyboard;
a badge image and a tampered credential checked on the public verify form. Every page visited is checked with
axe-core, and one page of each test at phone width.

The flows run with the app's Content Security Policy in force (`page`); axe needs it bypassed, so the same pages
are opened again in a second context (`axe_page`). Certificates are issued from the test's thread through the
services, as a course completion issues them; the PDF is drawn by the (eager) worker task after commit.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import uuid
from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core.cache import cache
from playwright.sync_api import Locator, Page, expect

from syllabus.accounts.models import Membership
from syllabus.catalog.models import Course
from syllabus.celery import app as celery_app
from syllabus.certificates import badge_image, baking, credentials, rendering, verification
from syllabus.certificates.default_templates import template_create_defaults
from syllabus.certificates.models import Award, Certificate, Template
from syllabus.certificates.services import awards as award_services
from syllabus.certificates.services import issuing
from syllabus.core import clock
from syllabus.progress.models import Completion
from tests.conftest import World
from tests.e2e.harness import BROWSER_TEST, PHONE, OpenPage, axe_check, path_is, problems_of, sign_in, url
from tests.factories import PASSWORD, ActivityFactory, CourseFactory, MembershipFactory, SectionFactory, grant, publish
from tests.factories import staff as course_staff

pytestmark = BROWSER_TEST

COURSE_TITLE = "Fire safety"
REASON = "Issued in error: the completion was recorded for the wrong person."
# Far more presses than any page here needs to reach a control: the loop fails rather than hang on a keyboard trap.
TAB_LIMIT = 80
QR_IMAGE = re.compile(r'<img class="certificate-qr" src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"')


@pytest.fixture(autouse=True)
def eager_tasks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Issuing queues the PDF after commit: drawn inline here, in the test's thread as in the live server's.
    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)
    monkeypatch.setattr(celery_app.conf, "task_eager_propagates", True)
    yield


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> Iterator[None]:
    # The public pages count verifications per address in the cache, which outlives a test: start from zero.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def officer(world: World) -> Membership:
    person = MembershipFactory(organization=world.org, org_unit=world.hq, user__display_name="Carla Compliance")
    grant(person, "compliance_officer")
    return person


@pytest.fixture
def course(world: World) -> Course:
    course = CourseFactory(organization=world.org, title=COURSE_TITLE)
    course_staff(course, world.instructor, "owner")
    ActivityFactory(section=SectionFactory(course=course, title="Basics"), title="Welcome")
    publish(course, world.instructor.user)
    course.refresh_from_db()
    return course


@pytest.fixture
def award(world: World, officer: Membership, course: Course) -> Award:
    """The course earns a certificate drawn with the ready-made Classic design (it prints the QR code)."""
    template_create_defaults(world.org, None)
    return award_services.award_create(
        organization=world.org, by=officer.user, data=award_services.AwardFields(course_id=course.pk)
    )


@pytest.fixture
def certificate(world: World, award: Award, course: Course) -> Certificate:
    """Lena Learner completed the course today: her certificate, valid a year, badge signed, PDF drawn."""
    return _issue(world.learner, course)


def _issue(membership: Membership, course: Course) -> Certificate:
    """Complete `course` now (valid a year, scored 88) and issue the certificate its award earns."""
    now = clock.now()
    completion = Completion.objects.create(
        organization_id=membership.organization_id,
        membership=membership,
        course=course,
        title=course.title,
        completed_at=now,
        expires_at=now + dt.timedelta(days=365),
        version_label="v1",
        score=Decimal("88"),
    )
    issued = issuing.issue_for_course_completion(completion.pk)
    assert issued is not None
    issued.refresh_from_db()
    assert issued.credential, "the award issues an Open Badge"
    assert issued.render_state == Certificate.RenderState.READY, issued.render_error
    return issued


def _tab_to(page: Page, target: Locator) -> None:
    """Press Tab until `target` has the focus, as a keyboard user would (nothing if it has it already)."""
    if target.evaluate("el => el === document.activeElement"):
        return
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    pytest.fail(f"{TAB_LIMIT} presses of Tab never reached the control")


def _fits(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def _no_page_problems(page: Page) -> None:
    assert problems_of(page).csp_violations == []
    assert problems_of(page).page_errors == []


def _open_checked(page: Page, path: str, *, status: int = 200) -> None:
    """Open `path` in an axe page, wait for its heading and fail on serious accessibility violations."""
    response = page.goto(path)
    assert response is not None and response.status == status, f"{path} answered {response and response.status}"
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    axe_check(page)


def _status(page: Page) -> Locator:
    """The page's own status message (inside main: the header's live regions are not it)."""
    return page.get_by_role("main").get_by_role("status").first


def _qr_svg(text: str) -> bytes:
    """The QR code of `text` made straight with the qrcode library, as rendering asks for it."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10, border=2)
    return bytes(image.to_string())


def _tampered(token: str) -> str:
    """The credential with its achievement renamed and the original signature kept (what a forger would try)."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["credentialSubject"]["achievement"]["name"] == COURSE_TITLE
    claims["credentialSubject"]["achievement"]["name"] = "Brain surgery"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode("ascii")
    return f"{header}.{forged}.{signature}"


# --- 1. the verification page, from the QR code's address -----------------------------------------------------------


def test_the_qr_code_leads_to_the_verification_page_which_follows_the_certificate(
    world: World, officer: Membership, certificate: Certificate, open_page: OpenPage
) -> None:
    # The address the QR code encodes: the verification page, on SITE_URL (never the request's host).
    address = credentials.verify_url(certificate)
    assert address == settings.SITE_URL.rstrip("/") + url("certificates:verify", certificate.public_id)
    fields, _template = rendering.fields_for(certificate)
    html = rendering.render_html(fields, rendering.context_for(certificate, fields))
    found = QR_IMAGE.findall(html)
    # One QR code, kept by the sanitiser, and exactly the QR code of that address.
    assert len(found) == 1, "the drawn certificate carries one QR code"
    assert base64.b64decode(found[0]) == _qr_svg(address)
    assert str(rendering.qr_code(address)) in html

    page = open_page()
    axe_page = open_page(bypass_csp=True)
    path = urlsplit(address).path
    response = page.goto(path)
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Certificate verification")
    expect(_status(page)).to_contain_text("Valid")
    expect(_status(page)).to_contain_text("This certificate is genuine and valid.")
    facts = page.get_by_role("region", name="The certificate")
    expect(facts).to_contain_text("Lena Learner")
    expect(facts).to_contain_text(COURSE_TITLE)
    expect(facts).to_contain_text("Acme Health")
    expect(facts).to_contain_text(str(certificate.public_id))
    # Minimal personal data: no email, no score; and a public page never asks anyone to sign in.
    content = page.content()
    assert world.learner.user.email not in content
    assert "88%" not in page.get_by_role("main").inner_text()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    _open_checked(axe_page, path)

    issuing.certificate_revoke(certificate=certificate, by=officer.user, reason=REASON)
    page.reload()
    expect(_status(page)).to_contain_text("Revoked")
    expect(_status(page)).to_contain_text("was revoked on")
    expect(_status(page)).not_to_contain_text("genuine and valid")
    # The reason is for the holder and the audit trail, not for whoever holds the link.
    assert REASON not in page.content()
    _open_checked(axe_page, path)

    for unknown in (str(uuid.uuid4()), "not-a-certificate-id"):
        response = page.goto(url("certificates:verify", unknown))
        assert response is not None and response.status == 404
        expect(page.get_by_role("heading", level=1)).to_have_text("Certificate verification")
        expect(_status(page)).to_contain_text("No certificate has this id.")
    _open_checked(axe_page, url("certificates:verify", uuid.uuid4()), status=404)
    _no_page_problems(page)

    phone = open_page(phone=True)
    phone.goto(path)
    expect(_status(phone)).to_contain_text("Revoked")
    assert _fits(phone), phone.evaluate("document.documentElement.scrollWidth")


def test_the_verification_page_prints_a_hostile_name_as_text(
    world: World, award: Award, course: Course, open_page: OpenPage
) -> None:
    hostile = 'Zoë "<script>alert(1)</script>" {{ verify_url }} 中村'
    world.learner.user.display_name = hostile
    world.learner.user.save(update_fields=["display_name"])
    certificate = _issue(world.learner, course)
    page = open_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(url("certificates:verify", certificate.public_id))
    facts = page.get_by_role("region", name="The certificate")
    # Printed as typed, Unicode and markup alike; never run, never expanded.
    expect(facts.locator("dd").first).to_have_text(hostile)
    expect(page.locator("main script")).to_have_count(0)
    assert dialogs == []
    _no_page_problems(page)


# --- 2. the template editor and its live preview ------------------------------------------------------------------


def test_an_officer_writes_a_template_by_keyboard_and_the_preview_follows(
    world: World, officer: Membership, open_page: OpenPage
) -> None:
    page = open_page()
    sign_in(page, officer.user.email, PASSWORD)
    page.goto(url("certificates:templates"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Certificate templates")
    page.get_by_role("link", name="New template").click()
    expect(page).to_have_url(path_is("certificates:template-create"))
    expect(page.get_by_role("heading", level=1)).to_have_text("New certificate template")

    preview = page.frame_locator("iframe[name='template-preview']")
    # The frame starts with the design a new template starts from, drawn with the made-up values.
    expect(preview.get_by_text(rendering.SAMPLE_LEARNER)).to_be_visible()

    name = page.get_by_role("textbox", name="Name", exact=True)
    _tab_to(page, name)
    page.keyboard.type("Diploma 2026")
    html = page.get_by_role("textbox", name="HTML", exact=True)
    _tab_to(page, html)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("<h1>Diploma of {{ learner_name }}</h1><p>{{ title }}</p>")

    # template-editor.js posts the form into the frame after the typing stops: the heading shows the sample name.
    heading = preview.get_by_role("heading", level=1)
    expect(heading).to_have_text(f"Diploma of {rendering.SAMPLE_LEARNER}")
    expect(preview.locator("body")).not_to_contain_text("{{")
    # Still the editor's page, nothing saved.
    expect(page).to_have_url(path_is("certificates:template-create"))
    assert not Template.objects.filter(name="Diploma 2026").exists()

    create = page.get_by_role("button", name="Create template")
    _tab_to(page, create)
    page.keyboard.press("Enter")
    expect(_status(page)).to_contain_text("The template Diploma 2026 was created.")
    saved = Template.objects.get(organization=world.org, name="Diploma 2026")
    assert saved.html == "<h1>Diploma of {{ learner_name }}</h1><p>{{ title }}</p>"
    expect(page).to_have_url(path_is("certificates:template-edit", saved.pk))
    # The editor of the saved template previews it as saved.
    expect(page.frame_locator("iframe[name='template-preview']").get_by_role("heading", level=1)).to_have_text(
        f"Diploma of {rendering.SAMPLE_LEARNER}"
    )

    page.get_by_role("link", name="Back to the certificate templates").click()
    expect(page).to_have_url(path_is("certificates:templates"))
    row = page.get_by_role("row", name=re.compile("Diploma 2026"))
    expect(row.get_by_role("link", name="Diploma 2026", exact=True)).to_be_visible()
    _no_page_problems(page)

    axe_page = open_page(bypass_csp=True)
    sign_in(axe_page, officer.user.email, PASSWORD)
    for path in (
        url("certificates:templates"),
        url("certificates:template-create"),
        url("certificates:template-edit", saved.pk),
    ):
        _open_checked(axe_page, path)

    phone = open_page(phone=True)
    sign_in(phone, officer.user.email, PASSWORD)
    phone.goto(url("certificates:template-edit", saved.pk))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Edit Diploma 2026")
    expect(phone.frame_locator("iframe[name='template-preview']").get_by_role("heading", level=1)).to_be_attached()
    assert _fits(phone), phone.evaluate("document.documentElement.scrollWidth")


def test_the_preview_drops_scripts_and_event_handlers(world: World, officer: Membership, open_page: OpenPage) -> None:
    """The author's markup is drawn, but scripts and event handlers are removed before the frame gets it."""
    page = open_page()
    sign_in(page, officer.user.email, PASSWORD)
    page.goto(url("certificates:template-create"))
    html = page.get_by_role("textbox", name="HTML", exact=True)
    html.fill('<h1 id="x">{{ learner_name }}</h1><script>document.title = "owned"</script><img src=x onerror=alert(1)>')
    page.get_by_role("button", name="Update preview").click()
    preview = page.frame_locator("iframe[name='template-preview']")
    expect(preview.get_by_role("heading", level=1)).to_have_text(rendering.SAMPLE_LEARNER)
    expect(preview.locator("script")).to_have_count(0)
    expect(preview.locator("img[onerror]")).to_have_count(0)
    _no_page_problems(page)


# --- 3. the learner's certificates --------------------------------------------------------------------------------


def test_a_learner_finds_downloads_and_badges_their_certificate(
    world: World, certificate: Certificate, open_page: OpenPage
) -> None:
    page = open_page()
    sign_in(page, world.learner.user.email, PASSWORD)

    page.goto(url("progress:dashboard"))
    panel = page.get_by_role("region", name="Certificates", exact=True)
    expect(panel.get_by_role("link", name=COURSE_TITLE)).to_have_attribute(
        "href", url("certificates:detail", certificate.public_id)
    )
    expect(panel).to_contain_text("Valid")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My certificates").first.click()
    expect(page).to_have_url(path_is("certificates:mine"))
    current = page.get_by_role("region", name="Your certificates")
    card = current.get_by_role("article", name=COURSE_TITLE)
    expect(card.locator(".certificate-status")).to_have_text("Valid")
    expect(card.get_by_role("textbox", name="Link to share")).to_have_value(credentials.verify_url(certificate))
    expect(page.get_by_role("region", name="History")).to_contain_text("No replaced or revoked certificates.")

    card.get_by_role("link", name=COURSE_TITLE, exact=True).click()
    expect(page).to_have_url(path_is("certificates:detail", certificate.public_id))
    expect(page.get_by_role("heading", level=1)).to_contain_text(COURSE_TITLE)
    about = page.get_by_role("region", name="About this certificate")
    expect(about).to_contain_text("Lena Learner")
    expect(about).to_contain_text("Course Fire safety, version v1")
    expect(about).to_contain_text("88%")
    # Holders see no officer actions.
    expect(page.get_by_role("link", name="Revoke")).to_have_count(0)

    downloads = page.get_by_role("region", name="Downloads")
    with page.expect_download() as pdf_download:
        downloads.get_by_role("link", name=re.compile("^Download PDF")).click()
    assert pdf_download.value.suggested_filename == f"certificate-fire-safety-{certificate.issued_at.date()}.pdf"
    pdf_path = pdf_download.value.path()
    assert pdf_path is not None and pdf_path.read_bytes().startswith(b"%PDF-")

    with page.expect_download() as png_download:
        downloads.get_by_role("link", name=re.compile(r"^Badge image \(PNG\)")).click()
    assert png_download.value.suggested_filename == f"fire-safety-{certificate.issued_at.date()}.png"
    png_path = png_download.value.path()
    assert png_path is not None
    png = png_path.read_bytes()
    assert png.startswith(baking.PNG_SIGNATURE)
    # The badge carries the credential as issued, and it verifies.
    assert baking.extract_png(png) == certificate.credential
    assert verification.verify_upload(png).ok
    _no_page_problems(page)

    axe_page = open_page(bypass_csp=True)
    sign_in(axe_page, world.learner.user.email, PASSWORD)
    for path in (
        url("progress:dashboard"),
        url("certificates:mine"),
        url("certificates:detail", certificate.public_id),
    ):
        _open_checked(axe_page, path)

    phone = open_page(phone=True)
    sign_in(phone, world.learner.user.email, PASSWORD)
    phone.goto(url("certificates:mine"))
    expect(phone.get_by_role("article", name=COURSE_TITLE)).to_be_visible()
    assert _fits(phone), phone.evaluate("document.documentElement.scrollWidth")


def test_another_learner_cannot_open_the_certificate_or_its_downloads(
    world: World, certificate: Certificate, page: Page
) -> None:
    sign_in(page, world.engineer.user.email, PASSWORD)
    for name in ("certificates:detail", "certificates:pdf", "certificates:badge-png", "certificates:badge-jwt"):
        response = page.goto(url(name, certificate.public_id))
        assert response is not None and response.status == 404, f"{name} answered {response and response.status}"


# --- 4. an officer revokes ----------------------------------------------------------------------------------------


def test_an_officer_revokes_a_certificate_by_keyboard_and_the_holder_sees_it_in_history(
    world: World, officer: Membership, certificate: Certificate, open_page: OpenPage
) -> None:
    page = open_page()
    sign_in(page, officer.user.email, PASSWORD)
    page.goto(url("certificates:list"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Issued certificates")
    row = page.get_by_role("row", name=re.compile("Lena Learner"))
    expect(row.locator(".certificate-status")).to_have_text("Valid")
    link = row.get_by_role("link", name=re.compile(f"^{COURSE_TITLE}"))
    _tab_to(page, link)
    page.keyboard.press("Enter")
    expect(page).to_have_url(path_is("certificates:detail", certificate.public_id))

    revoke = page.get_by_role("link", name="Revoke", exact=True)
    _tab_to(page, revoke)
    page.keyboard.press("Enter")
    expect(page).to_have_url(path_is("certificates:revoke", certificate.public_id))
    expect(page.get_by_role("heading", level=1)).to_have_text("Revoke a certificate")

    # Without a reason: nothing is revoked, the focus goes to the summary, the error is on the field.
    button = page.get_by_role("button", name="Revoke the certificate")
    _tab_to(page, button)
    page.keyboard.press("Enter")
    summary = page.locator("[data-error-summary]")
    expect(summary).to_contain_text(issuing.REASON_REQUIRED)
    expect(summary).to_be_focused()
    reason = page.get_by_role("textbox", name="Reason")
    expect(reason).to_have_attribute("aria-invalid", "true")
    certificate.refresh_from_db()
    assert certificate.state == Certificate.State.VALID

    _tab_to(page, reason)
    page.keyboard.type(REASON)
    _tab_to(page, page.get_by_role("button", name="Revoke the certificate"))
    page.keyboard.press("Enter")

    expect(page).to_have_url(path_is("certificates:detail", certificate.public_id))
    expect(_status(page)).to_contain_text("The certificate is revoked.")
    expect(page.get_by_role("heading", level=1).locator(".certificate-status")).to_have_text("Revoked")
    expect(page.get_by_role("main")).to_contain_text(REASON)
    expect(page.get_by_role("link", name="Revoke", exact=True)).to_have_count(0)
    certificate.refresh_from_db()
    assert certificate.state == Certificate.State.REVOKED
    assert certificate.revoke_reason == REASON
    assert certificate.revoked_by_id == officer.user.pk
    _no_page_problems(page)

    holder = open_page()
    sign_in(holder, world.learner.user.email, PASSWORD)
    holder.goto(url("certificates:mine"))
    expect(holder.get_by_role("region", name="Your certificates")).to_contain_text("You have no certificates yet.")
    card = holder.get_by_role("region", name="History").get_by_role("article", name=COURSE_TITLE)
    expect(card.locator(".certificate-status")).to_have_text("Revoked")
    # A revoked certificate offers no PDF, badge or link to share from the list.
    expect(card.get_by_role("link", name=re.compile("^Download PDF"))).to_have_count(0)
    expect(card.get_by_role("textbox", name="Link to share")).to_have_count(0)
    _no_page_problems(holder)

    axe_page = open_page(bypass_csp=True)
    sign_in(axe_page, officer.user.email, PASSWORD)
    _open_checked(axe_page, url("certificates:list"))
    _open_checked(axe_page, url("certificates:detail", certificate.public_id))
    holder_axe = open_page(bypass_csp=True)
    sign_in(holder_axe, world.learner.user.email, PASSWORD)
    _open_checked(holder_axe, url("certificates:mine"))


def test_the_revoke_page_with_its_error_is_accessible_and_fits_a_phone(
    world: World, officer: Membership, certificate: Certificate, open_page: OpenPage
) -> None:
    axe_page = open_page(bypass_csp=True)
    sign_in(axe_page, officer.user.email, PASSWORD)
    _open_checked(axe_page, url("certificates:revoke", certificate.public_id))
    axe_page.get_by_role("button", name="Revoke the certificate").click()
    expect(axe_page.locator("[data-error-summary]")).to_be_focused()
    axe_check(axe_page)

    phone = open_page(phone=True)
    sign_in(phone, officer.user.email, PASSWORD)
    phone.goto(url("certificates:revoke", certificate.public_id))
    expect(phone.get_by_role("textbox", name="Reason")).to_be_visible()
    assert _fits(phone), phone.evaluate("document.documentElement.scrollWidth")
    phone.goto(url("certificates:list"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Issued certificates")
    assert _fits(phone), phone.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("persona", ["learner", "manager"])
def test_people_without_the_capability_cannot_revoke(
    world: World, certificate: Certificate, page: Page, persona: str
) -> None:
    person: Membership = getattr(world, persona)
    sign_in(page, person.user.email, PASSWORD)
    response = page.goto(url("certificates:revoke", certificate.public_id))
    assert response is not None and response.status in (403, 404)
    certificate.refresh_from_db()
    assert certificate.state == Certificate.State.VALID


def test_an_outsider_does_not_find_the_certificate(world: World, certificate: Certificate, page: Page) -> None:
    sign_in(page, world.outsider.user.email, PASSWORD)
    for name in ("certificates:detail", "certificates:revoke", "certificates:badge-json"):
        response = page.goto(url(name, certificate.public_id))
        assert response is not None and response.status == 404, f"{name} answered {response and response.status}"


# --- 5. the public verify form ------------------------------------------------------------------------------------


def test_a_baked_badge_verifies_and_a_tampered_credential_does_not(
    world: World, certificate: Certificate, open_page: OpenPage
) -> None:
    png = baking.bake_png(
        badge_image.png(name=verification.achievement_name(certificate), color=world.org.primary_color),
        certificate.credential,
    )
    forged = _tampered(certificate.credential)

    page = open_page()
    axe_page = open_page(bypass_csp=True)
    page.goto(url("certificates:verify-upload"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify a badge")
    page.get_by_label("Or choose a badge file").set_input_files(
        {"name": "fire-safety.png", "mimeType": "image/png", "buffer": png}
    )
    page.get_by_role("button", name="Verify", exact=True).click()
    result = page.get_by_role("region", name="Result")
    expect(result.get_by_role("status")).to_contain_text("Verified")
    expect(result.get_by_role("status")).to_contain_text("the certificate is valid")
    expect(result).to_contain_text("The certificate with this id: Valid")
    expect(result).to_contain_text("Lena Learner")
    assert world.learner.user.email not in page.content()

    # The same form in the axe page, answered the same.
    _open_checked(axe_page, url("certificates:verify-upload"))
    axe_page.get_by_label("Or choose a badge file").set_input_files(
        {"name": "fire-safety.png", "mimeType": "image/png", "buffer": png}
    )
    axe_page.get_by_role("button", name="Verify", exact=True).click()
    expect(axe_page.get_by_role("region", name="Result")).to_contain_text("Verified")
    axe_check(axe_page)

    page.get_by_label("Paste a credential").fill(forged)
    page.get_by_role("button", name="Verify", exact=True).click()
    result = page.get_by_role("region", name="Result")
    expect(result.get_by_role("status")).to_contain_text("Not verified")
    expect(result.get_by_role("status")).to_contain_text(verification.BAD_SIGNATURE)
    expect(result).not_to_contain_text("The certificate with this id")
    _no_page_problems(page)

    axe_page.get_by_label("Paste a credential").fill(forged)
    axe_page.get_by_role("button", name="Verify", exact=True).click()
    expect(axe_page.get_by_role("region", name="Result")).to_contain_text("Not verified")
    axe_check(axe_page)

    phone = open_page(phone=True)
    phone.goto(url("certificates:verify-upload"))
    phone.get_by_label("Paste a credential").fill(certificate.credential)
    phone.get_by_role("button", name="Verify", exact=True).click()
    expect(phone.get_by_role("region", name="Result")).to_contain_text("Verified")
    assert phone.viewport_size == PHONE
    assert _fits(phone), phone.evaluate("document.documentElement.scrollWidth")
