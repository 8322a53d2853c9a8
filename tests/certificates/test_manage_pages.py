"""The pages of those who see others' certificates: the list (scope, filters, pages, CSV), revoking with a reason,
drawing a PDF again; and the awards pages (create, errors, earlier completions, delete). From the attacker's side
too, with constant query counts."""

# Fixtures imported from people_fixtures are redefined as test parameters, as pytest intends.
# ruff: noqa: F811

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse

from syllabus.audit.models import AuditRecord
from syllabus.certificates.models import Award, Certificate
from tests.certificates.conftest import NOW, finish, make_course
from tests.certificates.people_fixtures import SignIn, as_person, issue, no_render  # noqa: F401
from tests.conftest import World
from tests.factories import MembershipFactory, grant

pytestmark = pytest.mark.django_db

LIST = reverse("certificates:list")
EXPORT = reverse("certificates:export")
AWARDS = reverse("certificates:awards")
NEW_AWARD = reverse("certificates:award-create")


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


def url(name: str, certificate: Certificate) -> str:
    return reverse(f"certificates:{name}", args=[certificate.public_id])


@pytest.fixture
def three(world: World, award, moved_clock) -> dict[str, Certificate]:  # type: ignore[no-untyped-def]
    return {
        "lena": issue(world.learner, award),
        "rita": issue(world.report, award, expires=NOW + dt.timedelta(days=10)),
        "eddie": issue(world.engineer, award, NOW - dt.timedelta(days=400), expires=NOW - dt.timedelta(days=1)),
    }


# --- the list -------------------------------------------------------------------------------------------------------


def test_a_learner_may_not_open_the_list_or_the_export(world: World, three, as_person: SignIn) -> None:
    client = as_person(world.learner)
    assert client.get(LIST).status_code == 403
    assert client.get(EXPORT).status_code == 403


def test_the_officer_sees_everyone_and_the_manager_only_their_people(
    world: World, three, officer, as_person: SignIn
) -> None:
    response = as_person(officer).get(LIST)
    assert response.status_code == 200
    text = _text(response)
    assert {row["person"] for row in response.context["rows"]} == {"Lena Learner", "Rita Report", "Eddie Engineer"}
    assert "3 certificates" in text and text.count("<h1") == 1
    assert "Expired" in text and "Valid" in text
    response = as_person(world.manager).get(LIST)
    assert response.status_code == 200
    assert [row["person"] for row in response.context["rows"]] == ["Rita Report"]
    assert "Only the certificates of the people you are responsible for are listed." in _text(response)


def test_an_auditor_sees_everyone_but_may_not_revoke(world: World, three, as_person: SignIn) -> None:
    auditor = MembershipFactory(organization=world.org, org_unit=world.hq, user__display_name="Audrey Auditor")
    grant(auditor, "auditor")
    client = as_person(auditor)
    assert len(client.get(LIST).context["rows"]) == 3
    assert client.get(url("revoke", three["lena"])).status_code == 403
    assert client.post(url("rerender", three["lena"])).status_code == 403


def test_an_outsider_sees_none_of_ours(world: World, three, as_person: SignIn) -> None:
    # An admin of another organisation: their list is their organisation's (empty), our certificates are not found.
    client = as_person(world.outsider)
    assert client.get(LIST).context["rows"] == []
    assert client.get(url("revoke", three["lena"])).status_code == 404
    assert client.post(url("rerender", three["lena"])).status_code == 404
    assert client.get(url("detail", three["lena"])).status_code == 404


def test_the_filters_narrow_the_list(world: World, three, officer, as_person: SignIn) -> None:
    client = as_person(officer)

    def people(**query: str) -> list[str]:
        return sorted(row["person"] for row in client.get(LIST, query).context["rows"])

    assert people(status="expired") == ["Eddie Engineer"]
    assert people(status="expiring") == ["Rita Report"]
    assert people(status="expiring", days="5") == []
    assert people(unit=str(world.sales.pk)) == ["Lena Learner", "Rita Report"]
    assert people(q="eddie") == ["Eddie Engineer"]
    assert people(award=str(three["lena"].award_id)) == ["Eddie Engineer", "Lena Learner", "Rita Report"]
    # Hostile or stale values filter on nothing rather than failing.
    assert len(people(status="<script>", award="x", unit="999999", days="-4", page="zz")) == 3
    assert "Clear the filters" in _text(client.get(LIST, {"q": "nobody"}))


def test_the_csv_export_is_the_filtered_list_with_formulas_defused(
    world: World, award, officer, as_person: SignIn, moved_clock
) -> None:
    world.learner.user.display_name = '=HYPERLINK("http://evil")'
    world.learner.user.save()
    issue(world.learner, award)
    issue(world.report, award, expires=NOW - dt.timedelta(days=1))
    response = as_person(officer).get(EXPORT, {"status": "valid"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="certificates-2026-03-02.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["Name", "Email", "Org unit"]
    assert len(rows) == 2
    assert rows[1][0] == '\'=HYPERLINK("http://evil")'
    assert rows[1][6] == "Valid" and rows[1][8].startswith("http")
    # A manager's export is their scope only.
    manager_rows = list(
        csv.reader(io.StringIO(b"".join(as_person(world.manager).get(EXPORT).streaming_content).decode()))
    )
    assert [row[0] for row in manager_rows[1:]] == ["Rita Report"]


@pytest.mark.parametrize("people", [3, 30])
def test_the_list_costs_the_same_queries_at_any_size(
    world: World, award, officer, as_person: SignIn, moved_clock, django_assert_max_num_queries, people: int
) -> None:
    for _ in range(people):
        issue(MembershipFactory(organization=world.org, org_unit=world.sales), award)
    client = as_person(officer)
    client.get(LIST)  # the session and the organisation settle on the first request
    with django_assert_max_num_queries(16):
        response = client.get(LIST)
    assert len(response.context["rows"]) == people


def test_the_list_pages_by_fifty(world: World, award, officer, as_person: SignIn, moved_clock) -> None:
    for _ in range(51):
        issue(MembershipFactory(organization=world.org, org_unit=world.sales), award)
    client = as_person(officer)
    assert len(client.get(LIST).context["rows"]) == 50
    assert len(client.get(LIST, {"page": "2"}).context["rows"]) == 1


# --- revoking and drawing again -------------------------------------------------------------------------------------


def test_the_revoke_flow_asks_a_reason_then_revokes_audited(world: World, three, officer, as_person: SignIn) -> None:
    rita = three["rita"]
    client = as_person(officer)
    page = client.get(url("revoke", rita))
    assert page.status_code == 200 and "Rita Report" in _text(page)
    refused = client.post(url("revoke", rita), {"reason": "   "})
    assert refused.status_code == 200
    assert refused.context["form"].errors["reason"] == ["Say why the certificate is revoked."]
    assert "Please correct the errors below." in _text(refused)
    too_long = client.post(url("revoke", rita), {"reason": "x" * 2001})
    assert "reason" in too_long.context["form"].errors
    rita.refresh_from_db()
    assert rita.state == "valid"

    done = client.post(url("revoke", rita), {"reason": "Issued in error"}, follow=True)
    rita.refresh_from_db()
    assert rita.state == "revoked" and rita.revoke_reason == "Issued in error" and rita.revoked_by_id == officer.user.pk
    text = _text(done)
    assert "The certificate is revoked." in text and "Revoked on 2 March 2026." in text and "Issued in error" in text
    assert AuditRecord.objects.filter(action="certificate.revoked").count() == 1
    # Again: it says so, nothing more is recorded.
    again = client.get(url("revoke", rita), follow=True)
    assert "This certificate is already revoked." in _text(again)
    assert AuditRecord.objects.filter(action="certificate.revoked").count() == 1


def test_a_manager_and_the_holder_may_not_revoke(world: World, three, as_person: SignIn) -> None:
    rita = three["rita"]
    assert as_person(world.manager).post(url("revoke", rita), {"reason": "x"}).status_code == 403
    assert as_person(world.report).post(url("revoke", rita), {"reason": "mine"}).status_code == 403
    rita.refresh_from_db()
    assert rita.state == "valid"


def test_drawing_the_pdf_again_queues_it(world: World, three, officer, as_person: SignIn, no_render) -> None:
    lena = three["lena"]
    Certificate.objects.filter(pk=lena.pk).update(render_state="failed", render_error="boom")
    response = as_person(officer).post(url("rerender", lena), follow=True)
    lena.refresh_from_db()
    assert lena.render_state == "pending" and lena.render_error == ""
    assert "The PDF is being drawn again" in _text(response)
    assert AuditRecord.objects.filter(action="certificate.rerendered").count() == 1
    assert as_person(world.learner).post(url("rerender", lena)).status_code == 403
    assert as_person(officer).get(url("rerender", lena)).status_code == 405


# --- awards ---------------------------------------------------------------------------------------------------------


def award_form(**overrides: str) -> dict[str, str]:
    data = {
        "source": "course",
        "course_id": "",
        "program_id": "",
        "template_id": "",
        "enabled": "on",
        "issue_badge": "on",
        "achievement_name": "",
        "achievement_description": "",
        "criteria": "",
        "remind_days": "30, 7",
    }
    data.update(overrides)
    return data


def test_only_certificate_managers_see_the_awards_pages(world: World, award, as_person: SignIn) -> None:
    edit = reverse("certificates:award-edit", args=[award.pk])
    for person in (world.learner, world.manager):
        client = as_person(person)
        assert client.get(AWARDS).status_code == 403
        assert client.get(NEW_AWARD).status_code == 403
        assert client.get(edit).status_code == 403
        assert client.post(reverse("certificates:award-delete", args=[award.pk])).status_code == 403
    # Another organisation's admin: our award is not found.
    assert as_person(world.outsider).get(edit).status_code == 404
    assert Award.objects.filter(pk=award.pk).exists()


def test_an_officer_creates_an_award_and_issues_earlier_completions(
    world: World, officer, course, template, as_person: SignIn, moved_clock
) -> None:
    finish(world.learner, course, NOW - dt.timedelta(days=3))
    finish(world.report, course, NOW - dt.timedelta(days=2))
    client = as_person(officer)
    page = client.get(NEW_AWARD)
    assert page.status_code == 200 and _text(page).count("<h1") == 1
    assert page.context["form"]["template_id"].value() == template.pk  # the default, chosen already
    # Errors, each on its field, nothing saved.
    refused = client.post(NEW_AWARD, award_form(remind_days="30, soon"))
    errors = refused.context["form"].errors
    assert errors["course_id"] == ["Choose the course whose completion earns the certificate."]
    assert set(errors) == {"course_id", "remind_days", "template_id"}
    assert 'href="#id_course_id"' in _text(refused)
    assert not Award.objects.exists()

    response = client.post(
        NEW_AWARD, award_form(course_id=str(course.pk), template_id=str(template.pk), achievement_name="Champion")
    )
    award = Award.objects.get()
    edit = reverse("certificates:award-edit", args=[award.pk])
    assert response.status_code == 302 and response["Location"] == edit
    assert award.remind_days == [30, 7] and award.achievement_name == "Champion"
    page = client.get(edit)
    assert page.context["backfill_count"] == 2
    assert "2 people already completed this and have no certificate for it." in _text(page)

    done = client.post(reverse("certificates:award-backfill", args=[award.pk]), follow=True)
    assert "2 certificates issued." in _text(done)
    assert Certificate.objects.filter(award=award).count() == 2
    assert client.get(edit).context["backfill_count"] == 0
    listing = client.get(AWARDS)
    assert listing.context["rows"][0]["issued"] == 2 and "Champion" in _text(listing)


def test_deleting_an_award_that_issued_certificates_disables_it(
    world: World, award, officer, as_person: SignIn, moved_clock
) -> None:
    issue(world.learner, award)
    client = as_person(officer)
    page = _text(client.get(reverse("certificates:award-edit", args=[award.pk])))
    assert "Disable the award" in page
    response = client.post(reverse("certificates:award-delete", args=[award.pk]), follow=True)
    assert "it is kept and disabled" in _text(response)
    award.refresh_from_db()
    assert not award.enabled


def test_the_award_form_lists_only_this_organisations_published_courses(
    world: World, officer, template, as_person: SignIn
) -> None:
    from tests.factories import CourseFactory

    published = make_course(world, "Published one")
    CourseFactory(organization=world.org, title="Draft one")
    CourseFactory(organization=world.other_org, title="Someone else's")
    page = as_person(officer).get(NEW_AWARD)
    choices = [label for value, label in page.context["form"].fields["course_id"].choices if value]
    assert choices == [published.title]


def test_the_navigation_offers_each_persona_their_certificate_pages(world: World, officer, as_person: SignIn) -> None:
    def links(person) -> set[str]:  # type: ignore[no-untyped-def]
        body = as_person(person).get(reverse("certificates:mine")).content.decode()
        return {
            name
            for name in ("My certificates", "Issued certificates", "Certificate awards", "Certificate templates")
            if f">{name}</a>" in body
        }

    assert links(world.learner) == {"My certificates"}
    assert links(world.manager) == {"My certificates", "Issued certificates"}
    assert links(officer) == {"My certificates", "Issued certificates", "Certificate awards", "Certificate templates"}


@pytest.mark.parametrize("count", [1, 8])
def test_the_awards_page_costs_the_same_queries_at_any_size(
    world: World, officer, template, as_person: SignIn, django_assert_max_num_queries, count: int
) -> None:
    for index in range(count):
        Award.objects.create(
            organization=world.org, source="course", course=make_course(world, f"Course {index}"), template=template
        )
    client = as_person(officer)
    client.get(AWARDS)
    with django_assert_max_num_queries(14):
        response = client.get(AWARDS)
    assert len(response.context["rows"]) == count


def test_the_new_award_page_writes_nothing_and_offers_the_ready_made_designs(
    world: World, officer, as_person: SignIn
) -> None:
    from syllabus.certificates.models import Template

    client = as_person(officer)
    page = client.get(NEW_AWARD)
    assert page.status_code == 200
    assert "Add the ready-made designs and go on" in page.content.decode()
    assert not Template.objects.filter(organization=world.org).exists()  # a GET (a link from anywhere) adds nothing

    added = client.post(reverse("certificates:template-add-defaults"), {"then": "award"})
    assert added.status_code == 302 and added["Location"] == NEW_AWARD
    assert Template.objects.filter(organization=world.org).count() == 2
    assert "form" in client.get(NEW_AWARD).context
