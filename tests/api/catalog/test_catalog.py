"""/api/v1/catalog/ (the learners' catalog and course pages), categories/, tags/, catalog-settings/ and
activity-kinds/."""

from __future__ import annotations

import pytest

from syllabus.audiences import services as audience_services
from syllabus.catalog import services
from syllabus.skills import services as skill_services
from tests.api.catalog.conftest import CATALOG, add_page
from tests.api.conftest import V1, error_fields
from tests.factories import publish

pytestmark = pytest.mark.django_db

CATEGORIES = f"{V1}/categories/"
SETTINGS = f"{V1}/catalog-settings/"


def listed(client, **params) -> list[str]:  # type: ignore[no-untyped-def]
    response = client.get(CATALOG, params)
    assert response.status_code == 200, response.json()
    return [row["title"] for row in response.json()["results"]]


def published(world, title: str, body: str = "<p>Plain text.</p>", **metadata):  # type: ignore[no-untyped-def]
    by = world.instructor.user
    course = services.course_create(organization=world.org, by=by, title=title, **metadata)
    section = services.section_create(course=course, by=by, title="Part 1")
    add_page(section, by, "Page", body)
    publish(course, by=world.org_admin.user)
    return course


# --- the catalog --------------------------------------------------------------------------------------------------


def test_the_catalog_lists_published_courses_only(world, as_member, course):
    fire = published(world, "Fire safety at work", tags=["fire"])
    retired = published(world, "Retired course")
    services.course_archive(course=retired, by=world.instructor.user)
    services.course_update(course=fire, by=world.instructor.user, title="Draft title nobody sees")
    services.course_create(organization=world.other_org, by=world.outsider.user, title="Globex course")
    response = as_member(world.learner).get(CATALOG)
    assert [row["title"] for row in response.json()["results"]] == ["Fire safety at work"]
    row = response.json()["results"][0]
    assert row["id"] == fire.pk
    assert row["version"] == "1.0"
    assert row["tags"] == ["fire"]
    assert row["rank"] == 0


def test_an_audience_course_is_listed_only_for_its_members(world, as_member):
    sales = audience_services.audience_create(
        organization=world.org, by=world.org_admin.user, name="Sales", rules_tree={"org_unit": world.sales.pk}
    )
    audience_services.audience_recompute(audience=sales)
    published(world, "Selling well", visibility="audience", audience=sales)
    published(world, "For everyone")
    assert listed(as_member(world.learner)) == ["For everyone", "Selling well"]
    assert listed(as_member(world.engineer)) == ["For everyone"]


def test_search_finds_words_of_page_text_ranked_and_stemmed(world, as_member):
    published(world, "Fire safety", "<p>Extinguishers are red. Extinguishers save lives.</p>")
    published(world, "Hand hygiene", "<p>Wash your hands; an extinguisher is not soap.</p>")
    published(world, "Manual handling", "<p>Lift with your knees.</p>")
    client = as_member(world.learner)
    results = client.get(CATALOG, {"q": "extinguisher"}).json()["results"]
    assert {row["title"] for row in results} == {"Fire safety", "Hand hygiene"}
    ranks = [row["rank"] for row in results]
    assert ranks == sorted(ranks, reverse=True)
    assert all(rank > 0 for rank in ranks)
    assert listed(client, q="washing") == ["Hand hygiene"]
    assert listed(client, q="knees lift") == ["Manual handling"]
    assert listed(client, q='"); DROP TABLE --') == []


def test_filters_by_category_skill_language_level_and_duration(world, as_member):
    admin = world.org_admin.user
    safety = services.category_create(organization=world.org, by=admin, name="Safety")
    care = skill_services.skill_create(organization=world.org, by=admin, code="care", name="Care")
    hygiene = skill_services.skill_create(organization=world.org, by=admin, code="hygiene", name="Hygiene", parent=care)
    published(world, "Fire safety", category=safety, level="advanced", duration_minutes=90)
    published(world, "Hand hygiene", skills=[hygiene], language="pt-BR", duration_minutes=10)
    published(world, "Manual handling", duration_minutes=30)
    client = as_member(world.learner)
    assert listed(client, category=safety.pk) == ["Fire safety"]
    assert listed(client, skill=care.pk) == ["Hand hygiene"]
    assert listed(client, language="pt-BR") == ["Hand hygiene"]
    assert listed(client, level="advanced") == ["Fire safety"]
    assert listed(client, duration_min=20, duration_max=60) == ["Manual handling"]
    assert listed(client, duration="short") == ["Hand hygiene"]
    assert listed(client, sort="newest")[0] == "Manual handling"
    hand = client.get(CATALOG, {"skill": hygiene.pk}).json()["results"][0]
    assert hand["skills"] == [{"id": hygiene.pk, "name": "Hygiene"}]


def test_filters_naming_another_organisations_rows_are_refused(world, as_member):
    theirs = services.category_create(organization=world.other_org, by=world.outsider.user, name="Theirs")
    response = as_member(world.learner).get(CATALOG, {"category": theirs.pk})
    assert response.status_code == 400
    assert "category" in error_fields(response)


def test_the_catalog_costs_a_constant_number_of_queries(world, as_member, django_assert_max_num_queries):
    published(world, "First", "<p>Alarm bells.</p>", tags=["fire"])
    client = as_member(world.learner)
    with django_assert_max_num_queries(15) as few:
        assert client.get(CATALOG).json()["count"] == 1
    with django_assert_max_num_queries(15) as searched:
        assert client.get(CATALOG, {"q": "alarm"}).json()["count"] == 1
    skill = skill_services.skill_create(organization=world.org, by=world.org_admin.user, code="s", name="S")
    for index in range(8):
        published(world, f"Course {index}", "<p>Alarm bells ring.</p>", tags=["fire", f"t{index}"], skills=[skill])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(CATALOG).json()["count"] == 9
    with django_assert_max_num_queries(len(searched.captured_queries)):
        assert client.get(CATALOG, {"q": "alarm"}).json()["count"] == 9


# --- a course's page ----------------------------------------------------------------------------------------------


def test_a_course_page_shows_the_live_version_not_the_draft(world, as_member):
    course = published(world, "Fire safety", "<p>Extinguishers.</p>", tags=["fire"])
    services.course_update(course=course, by=world.instructor.user, title="Unpublished title")
    services.section_create(course=course, by=world.instructor.user, title="Unpublished section")
    response = as_member(world.learner).get(f"{CATALOG}{course.pk}/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["title"] == "Fire safety"
    assert body["version"] == "1.0"
    assert body["tags"] == ["fire"]
    assert [section["title"] for section in body["sections"]] == ["Part 1"]
    assert body["sections"][0]["activities"][0]["kind"] == "page"
    assert "config" not in body["sections"][0]["activities"][0]


def test_a_learner_does_not_find_a_draft_an_archived_or_a_hidden_course(world, as_member, course):
    archived = published(world, "Archived")
    services.course_archive(course=archived, by=world.instructor.user)
    nobody = audience_services.audience_create(
        organization=world.org, by=world.org_admin.user, name="Nobody", rules_tree={"org_unit": world.engineering.pk}
    )
    hidden = published(world, "Hidden", visibility="audience", audience=nobody)
    client = as_member(world.learner)
    for target in (course, archived, hidden):
        assert client.get(f"{CATALOG}{target.pk}/").status_code == 404
    assert client.get(f"{CATALOG}999999/").status_code == 404
    # The course team may open the live version of their own archived course (to check what learners had).
    assert as_member(world.instructor).get(f"{CATALOG}{archived.pk}/").status_code == 200


# --- categories, tags, settings, kinds ----------------------------------------------------------------------------


def test_categories_are_read_by_everyone_and_managed_with_catalog_manage(world, as_member):
    admin = as_member(world.org_admin)
    created = admin.post(CATEGORIES, {"name": "Safety"}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["slug"] == "safety"
    second = admin.post(CATEGORIES, {"name": "Care", "position": 0}, format="json").json()
    duplicate = admin.post(CATEGORIES, {"name": "safety"}, format="json")
    assert error_fields(duplicate) == {"name": services.CATEGORY_EXISTS}
    learner = as_member(world.learner)
    assert [row["name"] for row in learner.get(CATEGORIES).json()["results"]] == ["Care", "Safety"]
    assert learner.post(CATEGORIES, {"name": "Mine"}, format="json").status_code == 403
    one = f"{CATEGORIES}{created.json()['id']}/"
    assert learner.patch(one, {"name": "Hacked"}, format="json").status_code == 403
    assert learner.delete(one).status_code == 403
    assert admin.patch(one, {"name": "Health and safety"}, format="json").json()["name"] == "Health and safety"
    assert admin.patch(one, {"position": 9}, format="json").json()["name"] == "Health and safety"
    assert admin.delete(f"{CATEGORIES}{second['id']}/").status_code == 204
    outsider = as_member(world.outsider)
    assert outsider.patch(one, {"name": "Hacked"}, format="json").status_code == 404
    assert outsider.delete(one).status_code == 404
    assert outsider.get(CATEGORIES).json()["count"] == 0


def test_tags_in_use_are_listed_and_searched(world, as_member):
    published(world, "Fire safety", tags=["fire", "induction"])
    services.course_create(organization=world.other_org, by=world.outsider.user, title="X", tags=["firearms"])
    client = as_member(world.learner)
    assert [row["name"] for row in client.get(f"{V1}/tags/").json()["results"]] == ["fire", "induction"]
    assert [row["name"] for row in client.get(f"{V1}/tags/", {"q": "FIR"}).json()["results"]] == ["fire"]


def test_catalog_settings_are_for_catalog_managers(world, as_member):
    admin = as_member(world.org_admin)
    assert admin.get(SETTINGS).json() == {"publish_without_review": False, "embed_allowlist": []}
    changed = admin.put(
        SETTINGS,
        {"publish_without_review": True, "embed_allowlist": ["Video.Example.com", "www.youtube-nocookie.com"]},
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json() == {
        "publish_without_review": True,
        "embed_allowlist": ["video.example.com", "www.youtube-nocookie.com"],
    }
    bad = admin.put(SETTINGS, {"publish_without_review": True, "embed_allowlist": ["not a host"]}, format="json")
    assert error_fields(bad) == {"embed_allowlist": services.HOST_INVALID.format(host="not a host")}
    for member in (world.learner, world.instructor, world.reviewer):
        assert as_member(member).get(SETTINGS).status_code == 403
        assert (
            as_member(member).put(SETTINGS, {"publish_without_review": False, "embed_allowlist": []}).status_code == 403
        )
    assert as_member(world.outsider).get(SETTINGS).json()["publish_without_review"] is False


def test_activity_kinds_describe_their_completion_rules_and_signals(world, as_member):
    response = as_member(world.instructor).get(f"{V1}/activity-kinds/")
    assert response.status_code == 200
    kinds = {kind["key"]: kind for kind in response.json()}
    assert {"page", "video", "file", "link", "acknowledgement"} <= set(kinds)
    page = kinds["page"]
    assert page["signals"] == ["viewed"]
    assert page["completion_rules"][0]["key"] == "viewed"
    assert [field["name"] for field in page["fields"]] == ["body"]
    assert "value" not in page["fields"][0]
    watched = next(rule for rule in kinds["video"]["completion_rules"] if rule["parameters"])
    assert watched["parameters"][0]["name"] == "percent"
