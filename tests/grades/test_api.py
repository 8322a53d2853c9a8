"""/api/v1/grades/: what the team, a learner, another course's instructor and another organisation get."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from syllabus.access.policy import forget
from syllabus.grades import services
from syllabus.grades.models import Grade, GradeItem
from tests.api.conftest import V1, TokenClient, error_fields
from tests.factories import CourseFactory, MembershipFactory, grant, staff
from tests.grades.conftest import Gradebook

API = f"{V1}/grades"


def url(gradebook: Gradebook, rest: str = "") -> str:
    return f"{API}/courses/{gradebook.course.pk}/{rest}"


def test_the_team_reads_the_gradebook_with_grades_and_totals(
    gradebook: Gradebook, as_member: TokenClient, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        gradebook.signal(gradebook.essay1, gradebook.learner, "80")
    client = as_member(gradebook.world.instructor)
    body = client.get(url(gradebook)).json()
    assert [i["name"] for i in body["items"]] == ["Essay 1", "Essay 2"]
    assert body["count"] == 2
    row = next(r for r in body["results"] if r["person"]["id"] == gradebook.learner.pk)
    item = str(gradebook.item(gradebook.essay1).pk)
    assert row["grades"] == {item: {"final": "80", "overridden": False, "hidden": False}}
    assert row["total"]["percent"] == "80"
    unit = client.get(url(gradebook), {"unit": gradebook.world.engineering.pk}).json()
    assert [r["person"]["id"] for r in unit["results"]] == [gradebook.engineer.pk]
    assert client.get(url(gradebook), {"unit": "x"}).status_code == 400


def test_the_gradebook_reads_in_constant_queries(
    gradebook: Gradebook, as_member: TokenClient, django_assert_max_num_queries
) -> None:
    client = as_member(gradebook.world.instructor)
    client.get(url(gradebook))  # warm: sync stamp, settings
    for n in range(8):
        member = MembershipFactory(organization=gradebook.world.org)
        gradebook.enroll(member)
        Grade.objects.create(
            organization=gradebook.world.org, item=gradebook.item(gradebook.essay1), user=member.user, final=n
        )
    with django_assert_max_num_queries(16):
        assert client.get(url(gradebook)).json()["count"] == 10


def test_override_history_and_entry_through_the_api(gradebook: Gradebook, as_member: TokenClient) -> None:
    client = as_member(gradebook.world.instructor)
    item = gradebook.item(gradebook.essay1)
    grade_url = url(gradebook, f"items/{item.pk}/grades/{gradebook.learner.pk}/")
    refused = client.put(grade_url, {"percent": "90"}, format="json")
    assert refused.status_code == 400 and "reason" in error_fields(refused)
    done = client.put(grade_url, {"percent": "90", "reason": "Appeal upheld"}, format="json")
    assert done.status_code == 200, done.json()
    assert (done.json()["final"], done.json()["override_reason"]) == ("90", "Appeal upheld")
    history = client.get(grade_url).json()["history"]
    assert [(h["source"], h["new_final"], h["by"]["id"]) for h in history] == [("override", "90", gradebook.owner.pk)]
    manual = client.post(url(gradebook, "items/"), {"name": "Oral", "max_points": "20"}, format="json").json()
    entered = client.put(
        url(gradebook, f"items/{manual['id']}/grades/{gradebook.learner.pk}/"),
        {"percent": "75", "feedback": "Clear."},
        format="json",
    )
    assert (entered.json()["raw"], entered.json()["feedback"]) == ("75", "Clear.")
    # Someone not enrolled: not found.
    stranger = MembershipFactory(organization=gradebook.world.org).user
    assert client.get(url(gradebook, f"items/{item.pk}/grades/{stranger.pk}/")).status_code == 404


def test_setup_import_export_and_scales(gradebook: Gradebook, as_member: TokenClient) -> None:
    client = as_member(gradebook.world.instructor)
    category = client.post(url(gradebook, "categories/"), {"name": "Essays", "weight": "2"}, format="json")
    assert category.status_code == 201
    bad = client.post(url(gradebook, "categories/"), {"name": "", "weight": "x"}, format="json")
    assert set(error_fields(bad)) == {"name", "weight"}
    item = gradebook.item(gradebook.essay1)
    changed = client.patch(url(gradebook, f"items/{item.pk}/"), {"category": category.json()["id"]}, format="json")
    assert changed.json()["category"] == category.json()["id"]
    assert client.patch(url(gradebook, "settings/"), {"pass_mark": "50"}, format="json").json()["pass_mark"] == "50"

    csv_text = f"Email,Essay 1\n{gradebook.learner.email},120\n"
    dry = client.post(
        url(gradebook, "import/"), {"file": SimpleUploadedFile("m.csv", csv_text.encode())}, format="multipart"
    )
    assert dry.json()["errors"] == [
        {"line": 2, "column": "Essay 1", "message": "line 2, column 'Essay 1': 120 is above 100."}
    ]
    ok = f"Email,Essay 1\n{gradebook.learner.email},60\n"
    applied = client.post(
        url(gradebook, "import/"),
        {"file": SimpleUploadedFile("m.csv", ok.encode()), "dry_run": "false"},
        format="multipart",
    )
    assert applied.json()["applied"] is True and len(applied.json()["changes"]) == 1
    export = client.get(url(gradebook, "export/"), {"format": "csv"})
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    assert "Essay 1" in b"".join(export.streaming_content).decode()  # type: ignore[attr-defined]
    xlsx = client.get(url(gradebook, "export/"), {"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get(url(gradebook, "export/"), {"format": "pdf"}).status_code == 400

    admin = as_member(gradebook.world.org_admin)
    bands = [{"letter": "P", "min": "50"}, {"letter": "F", "min": "0"}]
    scale = admin.post(f"{API}/scales/", {"name": "Pass/fail", "bands": bands}, format="json")
    assert scale.status_code == 201
    assert client.post(f"{API}/scales/", {"name": "Mine", "bands": bands}, format="json").status_code == 403
    assert client.get(f"{API}/scales/").status_code == 200
    assert admin.delete(f"{API}/scales/{scale.json()['id']}/").status_code == 204


def test_a_learner_reads_only_their_released_grades(
    gradebook: Gradebook, as_member: TokenClient, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        gradebook.signal(gradebook.essay1, gradebook.learner, "80")
        gradebook.signal(gradebook.essay2, gradebook.learner, "40")
    services.grades_hide(
        by=gradebook.owner, item=gradebook.item(gradebook.essay2), user_ids=[gradebook.learner.pk], hidden=True
    )
    forget(gradebook.owner)
    client = as_member(gradebook.world.learner)
    body = client.get(url(gradebook, "mine/")).json()
    assert [(g["name"], g["percent"]) for g in body["grades"]] == [("Essay 1", "80"), ("Essay 2", None)]
    assert body["total"] == "80"
    # Everything hidden: no total either (the team's would leak the hidden grade).
    services.grades_hide(
        by=gradebook.owner, item=gradebook.item(gradebook.essay1), user_ids=[gradebook.learner.pk], hidden=True
    )
    assert client.get(url(gradebook, "mine/")).json()["total"] is None


@pytest.mark.parametrize(
    ("method", "rest", "body"),
    [
        ("get", "", None),
        ("patch", "settings/", {"pass_mark": "10"}),
        ("post", "categories/", {"name": "Mine"}),
        ("post", "items/", {"name": "Mine"}),
        ("get", "export/", None),
    ],
)
def test_learners_other_instructors_and_other_organisations_are_kept_out(
    gradebook: Gradebook, as_member: TokenClient, method: str, rest: str, body: dict[str, str] | None
) -> None:
    world = gradebook.world
    other_course = CourseFactory(organization=world.org)
    other_teacher = MembershipFactory(organization=world.org)
    grant(other_teacher, "instructor")
    staff(other_course, other_teacher)
    for member, expected in ((world.learner, 403), (other_teacher, 403), (world.outsider, 404)):
        response = getattr(as_member(member), method)(url(gradebook, rest), body, format="json")
        assert response.status_code == expected, (member, response.content)
    assert GradeItem.objects.filter(course=gradebook.course, name="Mine").count() == 0


def test_ids_of_another_course_or_organisation_are_not_found(gradebook: Gradebook, as_member: TokenClient) -> None:
    client = as_member(gradebook.world.instructor)
    other = CourseFactory(organization=gradebook.world.other_org)
    assert client.get(f"{API}/courses/{other.pk}/").status_code == 404
    theirs = services.item_create(by=gradebook.owner, course=gradebook.course, name="Oral")
    foreign_course = CourseFactory(organization=gradebook.world.org)
    staff(foreign_course, gradebook.world.instructor)
    assert client.patch(f"{API}/courses/{foreign_course.pk}/items/{theirs.pk}/", {}, format="json").status_code == 404
    assert client.get(url(gradebook, "mine/")).status_code == 403  # the team is not a learner
    outsider_scale = services.letter_scale_create(
        by=gradebook.world.outsider.user,
        organization=gradebook.world.other_org,
        name="Theirs",
        bands=[{"letter": "A", "min": "50"}, {"letter": "F", "min": "0"}],
    )
    admin = as_member(gradebook.world.org_admin)
    assert admin.delete(f"{API}/scales/{outsider_scale.pk}/").status_code == 404
