"""/api/v1/courses/: the authoring list, a draft's metadata, cover and uploads, the publishing actions, versions and
the course team."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from syllabus.audiences import services as audience_services
from syllabus.catalog import services, uploads
from syllabus.catalog.models import CatalogEntry, CatalogSettings, Course, CourseStaff
from syllabus.skills import services as skill_services
from tests.api.catalog.conftest import COURSES, build_course, course_url, png_bytes
from tests.api.conftest import error_fields
from tests.factories import MembershipFactory, grant, publish, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def category(world):
    return services.category_create(organization=world.org, by=world.org_admin.user, name="Safety")


@pytest.fixture
def skill(world):
    return skill_services.skill_create(
        organization=world.org, by=world.org_admin.user, code="first-aid", name="First aid"
    )


# --- create, read, change, delete ---------------------------------------------------------------------------------


def test_instructor_creates_a_course_and_becomes_its_owner(world, as_member, category, skill):
    client = as_member(world.instructor)
    response = client.post(
        COURSES,
        {
            "title": "Fire safety",
            "summary": "What to do when the alarm rings.",
            "description": "<p>Read <b>this</b>.</p><script>alert(1)</script>",
            "category": category.pk,
            "tags": ["fire", "induction"],
            "skills": [skill.pk],
            "level": "intermediate",
            "duration_minutes": 45,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "draft"
    assert body["has_unpublished_changes"] is True
    assert body["published_version"] is None
    assert body["category"] == {"id": category.pk, "name": "Safety"}
    assert sorted(body["tags"]) == ["fire", "induction"]
    assert body["skills"] == [{"id": skill.pk, "name": "First aid"}]
    assert "<script>" not in body["description"]
    assert body["permissions"] == {"edit": True, "manage": True, "publish": False, "review": False}
    team = client.get(course_url(body["id"], "staff/")).json()["results"]
    assert [(row["membership"], row["role"]) for row in team] == [(world.instructor.pk, "owner")]


def test_learner_cannot_create_a_course(world, as_member):
    response = as_member(world.learner).post(COURSES, {"title": "Mine"}, format="json")
    assert response.status_code == 403
    assert not Course.objects.exists()


def test_ids_of_another_organisation_are_field_errors_like_ids_that_do_not_exist(world, as_member):
    theirs = services.category_create(organization=world.other_org, by=world.outsider.user, name="Theirs")
    their_skill = skill_services.skill_create(
        organization=world.other_org, by=world.outsider.user, code="secret", name="Secret"
    )
    their_audience = audience_services.audience_create(
        organization=world.other_org, by=world.outsider.user, name="Theirs", rules_tree={"all": []}
    )
    client = as_member(world.instructor)
    response = client.post(
        COURSES,
        {
            "title": "Probe",
            "category": theirs.pk,
            "skills": [their_skill.pk],
            "visibility": "audience",
            "audience": their_audience.pk,
        },
        format="json",
    )
    assert response.status_code == 400
    fields = error_fields(response)
    assert set(fields) == {"category", "skills", "audience"}
    missing = client.post(COURSES, {"title": "Probe", "category": 999_999}, format="json")
    assert error_fields(missing)["category"] == fields["category"].replace(str(theirs.pk), "999999")
    assert "Theirs" not in response.content.decode()
    assert not Course.objects.filter(organization=world.org).exists()


def test_detail_shows_the_draft_with_its_state_and_live_version(world, as_member, course):
    client = as_member(world.instructor)
    publish(course, by=world.org_admin.user)
    body = client.get(course_url(course)).json()
    assert body["state"] == "published"
    assert body["published_version"]["label"] == "1.0"
    assert body["has_unpublished_changes"] is False
    changed = client.patch(course_url(course), {"title": "Fire safety at work"}, format="json")
    assert changed.status_code == 200, changed.json()
    assert changed.json()["title"] == "Fire safety at work"
    assert changed.json()["has_unpublished_changes"] is True
    assert changed.json()["published_version"]["label"] == "1.0"


def test_patch_changes_tags_by_name_skills_category_and_audience(world, as_member, course, category, skill):
    audience = audience_services.audience_create(
        organization=world.org, by=world.org_admin.user, name="Sales", rules_tree={"org_unit": world.sales.pk}
    )
    response = as_member(world.instructor).patch(
        course_url(course),
        {
            "tags": ["Fire", "fire", "Evacuation"],
            "skills": [skill.pk],
            "category": category.pk,
            "visibility": "audience",
            "audience": audience.pk,
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert sorted(body["tags"]) == ["Evacuation", "Fire"]
    assert body["audience"] == {"id": audience.pk, "name": "Sales"}
    assert body["visibility"] == "audience"
    cleared = as_member(world.instructor).patch(course_url(course), {"category": None, "skills": []}, format="json")
    assert cleared.json()["category"] is None
    assert cleared.json()["skills"] == []


def test_audience_visibility_without_an_audience_is_refused(world, as_member, course):
    response = as_member(world.instructor).patch(course_url(course), {"visibility": "audience"}, format="json")
    assert response.status_code == 400
    assert error_fields(response)["audience"] == services.AUDIENCE_REQUIRED


def test_a_draft_in_review_cannot_be_changed(world, as_member, course):
    services.course_submit(course=course, by=world.instructor.user)
    response = as_member(world.instructor).patch(course_url(course), {"title": "Sneaky"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == services.IN_REVIEW_LOCKED
    course.refresh_from_db()
    assert course.title == "Fire safety"


def test_owner_deletes_a_course_but_an_editor_may_not(world, as_member, course):
    staff(course, world.engineer, "editor")
    assert as_member(world.engineer).delete(course_url(course)).status_code == 403
    assert as_member(world.instructor).delete(course_url(course)).status_code == 204
    assert not Course.objects.filter(pk=course.pk).exists()
    assert as_member(world.instructor).get(course_url(course)).status_code == 404


# --- the authoring list -------------------------------------------------------------------------------------------


def test_authoring_list_shows_the_courses_one_works_on_filtered_by_state(world, as_member, course):
    published = build_course(world, "Hand hygiene")
    publish(published, by=world.org_admin.user)
    in_review = build_course(world, "Manual handling")
    services.course_submit(course=in_review, by=world.instructor.user)
    archived = build_course(world, "Old induction")
    services.course_archive(course=archived, by=world.instructor.user)
    someone_elses = services.course_create(organization=world.org, by=world.org_admin.user, title="Admin only")
    theirs = services.course_create(organization=world.other_org, by=world.outsider.user, title="Globex course")

    def titles(client, **params):
        return {row["title"] for row in client.get(COURSES, params).json()["results"]}

    instructor = as_member(world.instructor)
    assert titles(instructor) == {"Fire safety", "Hand hygiene", "Manual handling", "Old induction"}
    assert titles(instructor, state="draft") == {"Fire safety"}
    assert titles(instructor, state="in_review") == {"Manual handling"}
    assert titles(instructor, state="published") == {"Hand hygiene"}
    assert titles(instructor, state="archived") == {"Old induction"}
    assert titles(instructor, q="hygiene") == {"Hand hygiene"}
    rows = {row["title"]: row for row in instructor.get(COURSES).json()["results"]}
    assert rows["Hand hygiene"]["state"] == "published"
    assert rows["Hand hygiene"]["published_version"] == "1.0"
    assert rows["Hand hygiene"]["has_unpublished_changes"] is False
    assert rows["Fire safety"]["has_unpublished_changes"] is True
    assert rows["Manual handling"]["state"] == "in_review"
    assert rows["Fire safety"]["my_role"] == "owner"
    assert rows["Fire safety"]["activity_count"] == 2
    admin_titles = titles(as_member(world.org_admin))
    assert someone_elses.title in admin_titles and theirs.title not in admin_titles
    assert instructor.get(COURSES, {"state": "everything"}).status_code == 400


def test_authoring_list_is_refused_to_people_with_no_part_in_authoring(world, as_member, course):
    assert as_member(world.learner).get(COURSES).status_code == 403


def test_authoring_list_costs_a_constant_number_of_queries(world, as_member, course, django_assert_max_num_queries):
    client = as_member(world.org_admin)
    publish(course, by=world.org_admin.user)
    with django_assert_max_num_queries(20) as few:
        assert client.get(COURSES).json()["count"] == 1
    for index in range(8):
        more = build_course(world, f"Course {index}", pages=1)
        publish(more, by=world.org_admin.user)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(COURSES).json()["count"] == 9


# --- cover and uploads --------------------------------------------------------------------------------------------


def test_cover_upload_is_re_encoded_and_a_bad_file_leaves_the_draft_unchanged(world, as_member, course):
    client = as_member(world.instructor)
    cover = SimpleUploadedFile("cover.png", png_bytes(), content_type="image/png")
    response = client.put(course_url(course, "cover/"), {"file": cover}, format="multipart")
    assert response.status_code == 200, response.json()
    asset_id = response.json()["id"]
    assert response.json()["content_type"] == "image/png"
    assert response.json()["url"].startswith(f"/courses/{course.pk}/assets/{asset_id}/")
    assert client.get(course_url(course)).json()["cover"]["id"] == asset_id
    html = SimpleUploadedFile("cover.png", b"<html><script>alert(1)</script></html>", content_type="image/png")
    refused = client.put(course_url(course, "cover/"), {"file": html}, format="multipart")
    assert refused.status_code == 400
    assert "script" in refused.json()["error"]["message"] or refused.json()["error"]["errors"]
    assert client.get(course_url(course)).json()["cover"]["id"] == asset_id
    assert client.delete(course_url(course, "cover/")).status_code == 204
    assert client.get(course_url(course)).json()["cover"] is None


def test_assets_upload_answers_an_id_and_needs_course_edit(world, as_member, course):
    staff(course, world.manager, "instructor")
    upload = SimpleUploadedFile("notes.txt", b"Plain notes for the course.", content_type="text/plain")
    refused = as_member(world.manager).post(
        course_url(course, "assets/"), {"file": upload, "purpose": "document"}, format="multipart"
    )
    assert refused.status_code == 403
    upload.seek(0)
    response = as_member(world.instructor).post(
        course_url(course, "assets/"), {"file": upload, "purpose": "document"}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["purpose"] == "document"
    assert body["original_name"].endswith(".txt")
    assert course.assets.filter(pk=body["id"]).exists()
    svg = SimpleUploadedFile("x.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "image/png")
    bad = as_member(world.instructor).post(
        course_url(course, "assets/"), {"file": svg, "purpose": "image"}, format="multipart"
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["message"] == uploads.SVG_REFUSED.format(name="x.png")


# --- publishing actions -------------------------------------------------------------------------------------------


def test_publishing_without_review_needs_the_organisation_setting(world, as_member, course):
    client = as_member(world.instructor)
    refused = client.post(course_url(course, "publish/"), {}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == services.PUBLISH_NEEDS_REVIEW
    CatalogSettings.objects.create(organization=world.org, publish_without_review=True)
    response = as_member(world.instructor).post(course_url(course, "publish/"), {"notes": "First"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["label"] == "1.0"
    assert response.json()["is_current"] is True
    assert CatalogEntry.objects.filter(course=course).exists()
    again = as_member(world.instructor).post(course_url(course, "publish/"), {}, format="json")
    assert again.status_code == 400
    assert again.json()["error"]["message"] == services.NO_CHANGES


def test_archive_takes_a_course_out_of_the_catalog_and_unarchive_brings_it_back(world, as_member, course):
    publish(course, by=world.org_admin.user)
    client = as_member(world.instructor)
    archived = client.post(course_url(course, "archive/"))
    assert archived.status_code == 200
    assert archived.json()["state"] == "archived"
    assert not CatalogEntry.objects.filter(course=course).exists()
    assert client.post(course_url(course, "archive/")).json()["error"]["message"] == services.ALREADY_ARCHIVED
    assert client.post(course_url(course, "unarchive/")).json()["state"] == "published"
    assert CatalogEntry.objects.filter(course=course).exists()


def test_copy_makes_a_new_draft_owned_by_whoever_copied_it(world, as_member, course):
    other = MembershipFactory(organization=world.org)
    grant(other, "instructor")
    staff(course, other, "instructor")
    response = as_member(other).post(course_url(course, "copy/"), {"title": "Fire safety (copy)"}, format="json")
    assert response.status_code == 201, response.json()
    copy = Course.objects.get(pk=response.json()["id"])
    assert response.json()["copied_from"] == course.pk
    assert copy.activities.count() == 2
    assert CourseStaff.objects.get(course=copy).membership == other
    assert as_member(world.learner).post(course_url(course, "copy/"), {"title": "x"}, format="json").status_code == 404


def test_diff_compares_the_draft_with_the_live_version(world, as_member, course):
    client = as_member(world.instructor)
    first = client.get(course_url(course, "diff/")).json()
    assert first["base_version"] is None
    assert first["change"] == "major"
    publish(course, by=world.org_admin.user)
    client.patch(course_url(course), {"title": "Fire safety 2"}, format="json")
    body = client.get(course_url(course, "diff/")).json()
    assert body["base_version"] == "1.0"
    assert body["change"] == "minor"
    course_change = next(change for change in body["changes"] if change["target"] == "course")
    title = next(field for field in course_change["fields"] if field["name"] == "title")
    assert (title["before"], title["after"]) == ("Fire safety", "Fire safety 2")


# --- versions -----------------------------------------------------------------------------------------------------


def test_versions_list_detail_by_label_or_id_and_restore(world, as_member, course, django_assert_max_num_queries):
    first = publish(course, by=world.org_admin.user)
    services.course_update(course=course, by=world.instructor.user, title="Fire safety, revised")
    second = publish(course, by=world.org_admin.user)
    client = as_member(world.instructor)
    with django_assert_max_num_queries(15) as few:
        listed = client.get(course_url(course, "versions/")).json()
    assert [(row["label"], row["is_current"]) for row in listed["results"]] == [("1.1", True), ("1.0", False)]
    assert "snapshot" not in listed["results"][0]
    for _ in range(4):
        services.course_update(course=course, by=world.instructor.user, title=f"Fire safety {_}")
        publish(course, by=world.org_admin.user)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(course_url(course, "versions/")).json()["count"] == 6
    by_label = client.get(course_url(course, "versions/1.0/")).json()
    assert by_label["id"] == first.pk
    assert by_label["snapshot"]["title"] == "Fire safety"
    assert client.get(course_url(course, f"versions/{second.pk}/")).json()["label"] == "1.1"
    assert client.get(course_url(course, "versions/9.9/")).status_code == 404
    assert client.get(course_url(course, "versions/latest/")).status_code == 404
    restored = client.post(course_url(course, "versions/1.0/restore/"))
    assert restored.status_code == 200, restored.json()
    assert restored.json()["title"] == "Fire safety"
    assert restored.json()["has_unpublished_changes"] is True


def test_a_version_of_another_course_is_not_found(world, as_member, course):
    other = build_course(world, "Other")
    version = publish(other, by=world.org_admin.user)
    publish(course, by=world.org_admin.user)
    assert as_member(world.instructor).get(course_url(course, f"versions/{version.pk}/")).status_code == 404


# --- the course team ----------------------------------------------------------------------------------------------


def test_owner_manages_the_team_and_the_last_owner_stays(world, as_member, course):
    client = as_member(world.instructor)
    added = client.post(
        course_url(course, "staff/"), {"membership": world.engineer.pk, "role": "editor"}, format="json"
    )
    assert added.status_code == 201, added.json()
    assert added.json()["display_name"] == "Eddie Engineer"
    member = course_url(course, f"staff/{world.engineer.pk}/")
    assert client.patch(member, {"role": "instructor"}, format="json").json()["role"] == "instructor"
    assert as_member(world.engineer).patch(member, {"role": "owner"}, format="json").status_code == 403
    demote = client.patch(course_url(course, f"staff/{world.instructor.pk}/"), {"role": "editor"}, format="json")
    assert demote.status_code == 400
    assert demote.json()["error"]["message"] == services.LAST_OWNER
    assert client.delete(member).status_code == 204
    assert client.delete(member).status_code == 404
    assert [row["membership"] for row in client.get(course_url(course, "staff/")).json()["results"]] == [
        world.instructor.pk
    ]


def test_a_membership_of_another_organisation_cannot_join_the_team(world, as_member, course):
    response = as_member(world.instructor).post(
        course_url(course, "staff/"), {"membership": world.outsider.pk, "role": "owner"}, format="json"
    )
    assert response.status_code == 400
    assert "membership" in error_fields(response)
    assert not CourseStaff.objects.filter(membership=world.outsider).exists()


def test_a_reviewer_reads_the_team_but_does_not_change_it(world, as_member, course):
    client = as_member(world.reviewer)
    assert client.get(course_url(course, "staff/")).status_code == 200
    response = client.post(
        course_url(course, "staff/"), {"membership": world.reviewer.pk, "role": "owner"}, format="json"
    )
    assert response.status_code == 403
