"""The catalog API from the attacker's side.

Whoever cannot open a course's draft (another organisation, a same-organisation instructor not on the course, a
learner) gets 404 from every course endpoint, exactly as for an id that does not exist. Whoever can open it but
not change it (a reviewer, a non-editing instructor) gets 403 from every write. Nothing changes either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from syllabus.catalog.models import Course, CourseStaff
from tests.api.catalog.conftest import CATALOG, COURSES, build_course, png_bytes
from tests.api.conftest import token_for
from tests.factories import MembershipFactory, grant, publish, staff

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # under /courses/{course}/ with {section}, {activity}, {member} filled in
    data: dict | None = None
    multipart: bool = False

    def send(self, client, course: Course):  # type: ignore[no-untyped-def]
        section = course.sections.order_by("position").first()
        activity = course.activities.order_by("position").first()
        path = self.path.format(section=section.uid, activity=activity.uid, member=course.staff.first().membership_id)
        url = f"{COURSES}{course.pk}/{path}"
        data = dict(self.data or {})
        for key, value in data.items():
            if value == "{section}":
                data[key] = str(section.uid)
        if self.multipart:
            data["file"] = SimpleUploadedFile("cover.png", png_bytes(), content_type="image/png")
            return getattr(client, self.method)(url, data, format="multipart")
        return getattr(client, self.method)(url, data or None, format="json")


READS = [
    Call("get", ""),
    Call("get", "sections/"),
    Call("get", "activities/{activity}/"),
    Call("get", "outline/"),
    Call("get", "diff/"),
    Call("get", "versions/"),
    Call("get", "versions/1.0/"),
    Call("get", "staff/"),
]
WRITES = [
    Call("patch", "", {"title": "Hacked"}),
    Call("delete", ""),
    Call("put", "cover/", {}, multipart=True),
    Call("delete", "cover/"),
    Call("post", "assets/", {"purpose": "image"}, multipart=True),
    Call("post", "sections/", {"title": "Rogue"}),
    Call("patch", "sections/{section}/", {"title": "Hacked"}),
    Call("delete", "sections/{section}/"),
    Call("post", "sections/{section}/move/", {"offset": 1}),
    Call("post", "activities/", {"section": "{section}", "kind": "page", "title": "Rogue", "body": "<p>x</p>"}),
    Call("patch", "activities/{activity}/", {"title": "Hacked"}),
    Call("delete", "activities/{activity}/"),
    Call("post", "activities/{activity}/move/", {"offset": 1}),
    Call("put", "outline/", {"order": []}),
    Call("post", "submit/", {}),
    Call("post", "publish/", {}),
    Call("post", "archive/"),
    Call("post", "unarchive/"),
    Call("post", "copy/", {"title": "Stolen"}),
    Call("post", "versions/1.0/restore/"),
    Call("post", "staff/", {"membership": 0, "role": "owner"}),
    Call("patch", "staff/{member}/", {"role": "editor"}),
    Call("delete", "staff/{member}/"),
]


@pytest.fixture
def target(world) -> Course:
    """A published course with unpublished changes, owned by the instructor."""
    course = build_course(world, "Target", sections=2)
    publish(course, by=world.org_admin.user)
    return course


def fingerprint(course: Course) -> tuple:
    course.refresh_from_db()
    return (
        course.title,
        course.draft_revision,
        course.review_state,
        course.archived_at,
        course.cover_id,
        list(course.sections.values_list("uid", "title", "position")),
        list(course.activities.values_list("uid", "title", "position", "section_id")),
        list(CourseStaff.objects.filter(course=course).values_list("membership_id", "role")),
        course.assets.count(),
        course.versions.count(),
        Course.objects.count(),
    )


@pytest.fixture
def stranger(world):
    """An instructor of the same organisation who is not on the course."""
    member = MembershipFactory(organization=world.org, user__display_name="Stan Stranger")
    grant(member, "instructor")
    return member


@pytest.mark.parametrize("persona", ["outsider", "learner", "stranger"])
@pytest.mark.parametrize("call", READS + WRITES, ids=lambda call: f"{call.method} {call.path or '.'}")
def test_whoever_cannot_open_the_draft_gets_404_and_changes_nothing(world, as_member, target, stranger, persona, call):
    member = stranger if persona == "stranger" else getattr(world, persona)
    before = fingerprint(target)
    response = call.send(as_member(member), target)
    assert response.status_code == 404, (persona, call, response.content[:300])
    assert fingerprint(target) == before


@pytest.mark.parametrize("persona", ["reviewer", "team_instructor"])
@pytest.mark.parametrize("call", WRITES, ids=lambda call: f"{call.method} {call.path or '.'}")
def test_whoever_may_read_but_not_edit_gets_403_on_every_write(world, as_member, target, persona, call):
    member = world.reviewer
    if persona == "team_instructor":
        member = world.manager
        staff(target, member, "instructor")
    before = fingerprint(target)
    response = call.send(as_member(member), target)
    assert response.status_code == 403, (persona, call, response.content[:300])
    assert fingerprint(target) == before


@pytest.mark.parametrize("call", READS, ids=lambda call: f"{call.method} {call.path or '.'}")
def test_whoever_may_read_the_draft_reads_it(world, as_member, target, call):
    staff(target, world.manager, "instructor")
    for member in (world.reviewer, world.manager):
        assert call.send(as_member(member), target).status_code == 200


def test_a_learner_cannot_open_a_draft_only_course_in_the_catalog_nor_any_version(world, as_member, course, target):
    client = as_member(world.learner)
    assert client.get(f"{CATALOG}{course.pk}/").status_code == 404
    assert client.get(f"{CATALOG}{target.pk}/").status_code == 200
    assert client.get(f"{COURSES}{target.pk}/versions/").status_code == 404
    assert client.get(f"{COURSES}{target.pk}/versions/1.0/").status_code == 404
    assert course.title not in client.get(CATALOG).content.decode()


def test_a_token_of_one_organisation_cannot_act_in_another(world, target):
    """The outsider administers Globex and is also a learner here: their Globex token sees nothing of ours, and
    their token here cannot touch their own Globex course."""
    from rest_framework.test import APIClient

    here = MembershipFactory(organization=world.org, user=world.outsider.user)
    globex_course = build_course(world, "Globex course")
    Course.objects.filter(pk=globex_course.pk).update(organization=world.other_org)
    CourseStaff.objects.filter(course=globex_course).update(membership=world.outsider)
    globex_course.refresh_from_db()

    globex_token = APIClient()
    globex_token.credentials(HTTP_AUTHORIZATION=f"Token {token_for(world.outsider)}")
    assert globex_token.get(f"{COURSES}{target.pk}/").status_code == 404
    assert globex_token.patch(f"{COURSES}{target.pk}/", {"title": "Hacked"}, format="json").status_code == 404
    assert globex_token.get(f"{CATALOG}{target.pk}/").status_code == 404
    assert globex_token.get(f"{COURSES}{globex_course.pk}/").status_code == 200

    our_token = APIClient()
    our_token.credentials(HTTP_AUTHORIZATION=f"Token {token_for(here)}")
    assert our_token.get(f"{COURSES}{globex_course.pk}/").status_code == 404
    assert our_token.patch(f"{COURSES}{globex_course.pk}/", {"title": "Hacked"}, format="json").status_code == 404
    assert our_token.post(COURSES, {"title": "Mine"}, format="json").status_code == 403
    assert Course.objects.get(pk=globex_course.pk).title == "Globex course"
    assert Course.objects.get(pk=target.pk).title == "Target"
