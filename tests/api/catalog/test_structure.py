"""/api/v1/courses/{id}/sections/, activities/ and outline/: a draft's structure, named by uids."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from syllabus.catalog import services
from syllabus.catalog.activity_kinds import base as kinds
from syllabus.catalog.activity_kinds.page import kind as page_kind
from syllabus.catalog.models import Activity, Section
from tests.api.catalog.conftest import activity_url, add_page, build_course, course_url, section_url
from tests.api.conftest import error_fields
from tests.factories import staff

pytestmark = pytest.mark.django_db


def outline_titles(body: dict) -> list[tuple[str, list[str]]]:
    return [(section["title"], [a["title"] for a in section["activities"]]) for section in body["sections"]]


# --- sections -----------------------------------------------------------------------------------------------------


def test_sections_are_added_renamed_moved_and_deleted(world, as_member, course):
    client = as_member(world.instructor)
    added = client.post(course_url(course, "sections/"), {"title": "Part 2", "summary": "After"}, format="json")
    assert added.status_code == 201, added.json()
    assert added.json()["position"] == 1
    assert added.json()["activities"] == []
    second = Section.objects.get(uid=added.json()["uid"])
    renamed = client.patch(section_url(course, second), {"title": "Evacuation"}, format="json")
    assert renamed.json()["title"] == "Evacuation"
    assert renamed.json()["summary"] == "After"
    moved = client.post(section_url(course, second, "move/"), {"offset": -1}, format="json")
    assert moved.status_code == 200
    assert moved.json()["position"] == 0
    listed = client.get(course_url(course, "sections/")).json()
    assert [row["title"] for row in listed["results"]] == ["Evacuation", "Part 1"]
    assert [a["title"] for a in listed["results"][1]["activities"]] == ["Page 1.1", "Page 1.2"]
    assert client.delete(section_url(course, second)).status_code == 204
    assert client.patch(section_url(course, second), {"title": "Gone"}, format="json").status_code == 404
    empty = client.post(course_url(course, "sections/"), {"title": " "}, format="json")
    assert empty.status_code == 400
    assert error_fields(empty) == {"title": services.TITLE_REQUIRED}


def test_a_section_uid_of_another_course_is_not_found(world, as_member, course):
    other = build_course(world, "Other course")
    section = other.sections.get()
    client = as_member(world.instructor)
    assert client.patch(section_url(course, section), {"title": "Hijack"}, format="json").status_code == 404
    assert client.post(section_url(course, section, "move/"), {"offset": 1}, format="json").status_code == 404
    assert client.delete(section_url(course, section)).status_code == 404
    assert Section.objects.filter(pk=section.pk, title="Part 1").exists()


# --- activities ---------------------------------------------------------------------------------------------------


def test_a_page_activity_is_added_with_its_kinds_fields_at_the_top_level(world, as_member, course):
    section = course.sections.get()
    response = as_member(world.instructor).post(
        course_url(course, "activities/"),
        {
            "section": str(section.uid),
            "kind": "page",
            "title": "Extinguishers",
            "body": "<p>Use the <b>red</b> one.</p><script>alert(1)</script>",
            "duration_minutes": 5,
            "is_required": False,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["section"] == str(section.uid)
    assert body["kind"] == "page"
    assert body["position"] == 2
    assert body["completion"] == {"rule": "viewed"}
    assert body["is_required"] is False
    assert body["duration_minutes"] == 5
    assert "<b>red</b>" in body["config"]["body"]
    assert "script" not in body["config"]["body"]


def test_the_kinds_fields_may_come_in_a_config_object_or_a_multipart_form(world, as_member, course):
    section = course.sections.get()
    client = as_member(world.instructor)
    nested = client.post(
        course_url(course, "activities/"),
        {"section": str(section.uid), "kind": "page", "title": "Nested", "config": {"body": "<p>Inside.</p>"}},
        format="json",
    )
    assert nested.status_code == 201, nested.json()
    assert nested.json()["config"]["body"] == "<p>Inside.</p>"
    form = client.post(
        course_url(course, "activities/"),
        {
            "section": str(section.uid),
            "kind": "page",
            "title": "From a form",
            "body": "<p>Posted as a form.</p>",
            "completion": json.dumps({"rule": "viewed"}),
        },
        format="multipart",
    )
    assert form.status_code == 201, form.json()
    assert form.json()["config"]["body"] == "<p>Posted as a form.</p>"
    assert form.json()["is_required"] is True


def test_the_kinds_errors_come_back_as_field_errors(world, as_member, course):
    section = course.sections.get()
    client = as_member(world.instructor)
    empty = client.post(
        course_url(course, "activities/"),
        {"section": str(section.uid), "kind": "page", "title": "Empty", "body": "<p> </p>"},
        format="json",
    )
    assert empty.status_code == 400
    assert error_fields(empty) == {"body": page_kind.BODY_REQUIRED}
    unknown = client.post(
        course_url(course, "activities/"),
        {"section": str(section.uid), "kind": "flash-game", "title": "Fun"},
        format="json",
    )
    assert error_fields(unknown) == {"kind": kinds.UNKNOWN_KIND.format(kind="flash-game")}
    rule = client.post(
        course_url(course, "activities/"),
        {"section": str(section.uid), "kind": "page", "title": "X", "body": "<p>x</p>", "completion": {"rule": "quiz"}},
        format="json",
    )
    assert error_fields(rule) == {"completion": kinds.UNKNOWN_RULE.format(rule="quiz")}
    assert course.activities.count() == 2


def test_an_activity_is_read_changed_in_part_moved_and_deleted(world, as_member, course):
    client = as_member(world.instructor)
    first, second = course.activities.order_by("position")
    other_section = services.section_create(course=course, by=world.instructor.user, title="Part 2")
    got = client.get(activity_url(course, first)).json()
    assert got["title"] == "Page 1.1"
    assert got["skills"] == []
    retitled = client.patch(activity_url(course, first), {"title": "Renamed"}, format="json")
    assert retitled.status_code == 200, retitled.json()
    assert retitled.json()["config"] == got["config"]
    rewritten = client.patch(activity_url(course, first), {"body": "<p>New text.</p>"}, format="json")
    assert rewritten.json()["config"]["body"] == "<p>New text.</p>"
    assert rewritten.json()["title"] == "Renamed"
    down = client.post(activity_url(course, first, "move/"), {"offset": 1}, format="json")
    assert down.json()["position"] == 1
    across = client.post(activity_url(course, second, "move/"), {"section": str(other_section.uid)}, format="json")
    assert across.json()["section"] == str(other_section.uid)
    assert client.delete(activity_url(course, first)).status_code == 204
    assert client.get(activity_url(course, first)).status_code == 404


def test_moving_an_activity_to_a_section_of_another_course_is_not_found(world, as_member, course):
    other = build_course(world, "Other")
    activity = course.activities.first()
    response = as_member(world.instructor).post(
        activity_url(course, activity, "move/"), {"section": str(other.sections.get().uid)}, format="json"
    )
    assert response.status_code == 404
    activity.refresh_from_db()
    assert activity.section.course_id == course.pk


def test_a_non_editing_instructor_reads_activities_but_cannot_change_them(world, as_member, course):
    staff(course, world.manager, "instructor")
    activity = course.activities.first()
    client = as_member(world.manager)
    assert client.get(activity_url(course, activity)).status_code == 200
    assert client.patch(activity_url(course, activity), {"title": "No"}, format="json").status_code == 403
    assert client.delete(activity_url(course, activity)).status_code == 403
    section = {"section": str(activity.section.uid), "kind": "page", "title": "x", "body": "<p>x</p>"}
    assert client.post(course_url(course, "activities/"), section, format="json").status_code == 403
    assert Activity.objects.filter(pk=activity.pk, title=activity.title).exists()


# --- the outline --------------------------------------------------------------------------------------------------


def test_the_outline_is_read_and_reordered_as_a_whole(world, as_member, course):
    client = as_member(world.instructor)
    part2 = services.section_create(course=course, by=world.instructor.user, title="Part 2")
    add_page(part2, world.instructor.user, "Page 2.1")
    body = client.get(course_url(course, "outline/")).json()
    assert body["locked"] is False
    assert outline_titles(body) == [("Part 1", ["Page 1.1", "Page 1.2"]), ("Part 2", ["Page 2.1"])]
    sections = body["sections"]
    order = [
        {
            "section": sections[1]["uid"],
            "activities": [sections[0]["activities"][1]["uid"], sections[1]["activities"][0]["uid"]],
        },
        {"section": sections[0]["uid"], "activities": [sections[0]["activities"][0]["uid"]]},
    ]
    response = client.put(course_url(course, "outline/"), {"order": order}, format="json")
    assert response.status_code == 200, response.json()
    assert outline_titles(response.json()) == [("Part 2", ["Page 1.2", "Page 2.1"]), ("Part 1", ["Page 1.1"])]
    assert response.json()["draft_revision"] > body["draft_revision"]


def test_an_order_that_leaves_something_out_is_refused(world, as_member, course):
    client = as_member(world.instructor)
    section = client.get(course_url(course, "outline/")).json()["sections"][0]
    response = client.put(
        course_url(course, "outline/"),
        {"order": [{"section": section["uid"], "activities": [section["activities"][0]["uid"]]}]},
        format="json",
    )
    assert response.status_code == 400
    assert error_fields(response) == {"order": services.BAD_ORDER}
    malformed = client.put(course_url(course, "outline/"), {"order": [{"section": "not-a-uid"}]}, format="json")
    assert malformed.status_code == 400


def test_the_outline_is_locked_while_in_review(world, as_member, course):
    services.course_submit(course=course, by=world.instructor.user)
    client = as_member(world.instructor)
    assert client.get(course_url(course, "outline/")).json()["locked"] is True
    response = client.post(course_url(course, "sections/"), {"title": "Late"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == services.IN_REVIEW_LOCKED


def test_the_outline_costs_a_constant_number_of_queries(world, as_member, django_assert_max_num_queries):
    small = build_course(world, "Small", sections=1, pages=1)
    large = build_course(world, "Large", sections=5, pages=6)
    client = as_member(world.instructor)
    with django_assert_max_num_queries(15) as few:
        assert len(client.get(course_url(small, "outline/")).json()["sections"]) == 1
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(course_url(large, "outline/")).json()
    assert sum(len(section["activities"]) for section in body["sections"]) == 30
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(course_url(large, "sections/")).json()["count"] == 5


def test_a_file_activity_uploads_its_document_in_the_same_multipart_request(world, as_member, course):
    section = course.sections.get()
    client = as_member(world.instructor)
    pdf = SimpleUploadedFile("policy.pdf", b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n", "application/pdf")
    response = client.post(
        course_url(course, "activities/"),
        {"section": str(section.uid), "kind": "file", "title": "Policy", "document": pdf, "description": "Read it."},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    config = response.json()["config"]
    assert config["content_type"] == "application/pdf"
    assert course.assets.filter(pk=config["asset_id"]).exists()
    disguised = SimpleUploadedFile("evil.pdf", b"<html><script>alert(1)</script></html>", "application/pdf")
    refused = client.post(
        course_url(course, "activities/"),
        {"section": str(section.uid), "kind": "file", "title": "Evil", "document": disguised},
        format="multipart",
    )
    assert refused.status_code == 400
    assert "document" in error_fields(refused)
    assert course.activities.filter(title="Evil").count() == 0
    assert course.assets.count() == 1
