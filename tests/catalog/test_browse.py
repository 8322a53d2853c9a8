"""The learners' catalog and course pages: what each person may find and open, search, filters, the htmx fragment,
the course outline from the published version, the team's preview of the draft, and constant query counts."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from syllabus.audiences.models import Audience, AudienceMembership
from syllabus.catalog import learning, services
from syllabus.catalog.models import CatalogEntry, Course, CourseAsset, CourseVersion, Visibility
from syllabus.catalog.selectors_browse import duration_label
from syllabus.skills.models import Skill
from tests.catalog.catalog_data import category, published_course, text_kind  # noqa: F401 (fixture)
from tests.catalog.learners import enroll
from tests.factories import ActivityFactory, CourseFactory, SectionFactory, publish, staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("text_kind")]

BROWSE = reverse("catalog:browse")


def course_url(course: Course) -> str:
    return reverse("catalog:course", args=[course.pk])


def preview_url(course: Course) -> str:
    return reverse("catalog:course-preview", args=[course.pk])


@pytest.fixture
def as_person(client):  # type: ignore[no-untyped-def]
    def sign_in(membership):  # type: ignore[no-untyped-def]
        client.force_login(membership.user)
        return client

    return sign_in


@pytest.fixture
def admin(world):  # type: ignore[no-untyped-def]
    return world.org_admin.user


def shown(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [card.title for card in response.context["cards"]]


def audience_with(world, name: str, *members) -> Audience:  # type: ignore[no-untyped-def]
    audience = Audience.objects.create(organization=world.org, name=name, rules={"all": []})
    for membership in members:
        AudienceMembership.objects.create(audience=audience, membership=membership, joined_at=timezone.now())
    return audience


# --- who finds what ----------------------------------------------------------------------------------------------


def test_signing_in_is_required(client):
    response = client.get(BROWSE)
    assert response.status_code == 302 and reverse("accounts:sign-in") in response["Location"]


def test_a_learner_finds_published_courses_shown_to_them_and_nothing_else(as_person, world, admin):
    published_course(world.org, admin, "For everyone")
    mine = audience_with(world, "Sales people", world.learner)
    theirs = audience_with(world, "Engineers", world.engineer)
    published_course(world.org, admin, "For my audience", visibility=Visibility.AUDIENCE, audience=mine)
    published_course(world.org, admin, "For another audience", visibility=Visibility.AUDIENCE, audience=theirs)
    archived = published_course(world.org, admin, "Archived")
    services.course_archive(course=archived, by=admin)
    CourseFactory(organization=world.org, title="Draft only")
    published_course(world.other_org, world.outsider.user, "Another organisation's")

    response = as_person(world.learner).get(BROWSE)
    assert response.status_code == 200
    assert shown(response) == ["For everyone", "For my audience"]
    html = response.content.decode()
    assert "2 courses available to you." in html
    assert "For another audience" not in html and "Draft only" not in html and "Archived" not in html


def test_the_catalog_explains_when_nothing_is_available_or_nothing_matches(as_person, world, admin):
    response = as_person(world.learner).get(BROWSE)
    assert "No courses are available to you yet" in response.content.decode()
    published_course(world.org, admin, "Fire safety")
    response = as_person(world.learner).get(BROWSE, {"q": "zebra"})
    html = response.content.decode()
    assert "No course matches your search and filters." in html and "0 courses match your search." in html


# --- search and filters --------------------------------------------------------------------------------------------


def test_search_finds_words_in_the_page_text_best_match_first(as_person, world, admin):
    published_course(world.org, admin, "Alpha ward routines", text="Hygiene checks every morning.")
    published_course(world.org, admin, "Hygiene at night", text="Soap.")
    published_course(world.org, admin, "Budgets", text="Spreadsheets.")
    response = as_person(world.learner).get(BROWSE, {"q": "hygiene"})
    assert shown(response) == ["Hygiene at night", "Alpha ward routines"]
    assert "2 courses match your search." in response.content.decode()
    # Title order when asked, even while searching.
    response = as_person(world.learner).get(BROWSE, {"q": "hygiene", "sort": "title"})
    assert shown(response) == ["Alpha ward routines", "Hygiene at night"]


def test_filters_by_category_language_level_and_duration(as_person, world, admin):
    safety = category(world.org, "Safety")
    published_course(world.org, admin, "A", category=safety, language="en", level="beginner", duration_minutes=10)
    published_course(world.org, admin, "B", category=safety, language="fr", level="advanced", duration_minutes=45)
    published_course(world.org, admin, "C", language="en", level="advanced", duration_minutes=120)
    published_course(world.org, admin, "D", language="en", level="beginner", duration_minutes=600)
    published_course(world.org, admin, "E", language="en", level="beginner", duration_minutes=0)
    client = as_person(world.learner)

    def titles(**params):  # type: ignore[no-untyped-def]
        return shown(client.get(BROWSE, params))

    assert titles(category=safety.pk) == ["A", "B"]
    assert titles(language="fr") == ["B"]
    assert titles(level="advanced") == ["B", "C"]
    assert titles(duration="short") == ["A"]
    assert titles(duration="medium") == ["B"]
    assert titles(duration="long") == ["C"]
    assert titles(duration="extended") == ["D"]
    assert titles(category=safety.pk, level="advanced") == ["B"]
    # The language filter offers the languages of the visible courses, by name.
    html = client.get(BROWSE).content.decode()
    assert '<option value="fr">French</option>' in html


def test_a_skill_filter_also_finds_courses_tagged_with_its_sub_skills(as_person, world, admin):
    clinical = Skill.objects.create(organization=world.org, code="clinical", name="Clinical")
    clinical.path = f"/{clinical.pk}/"
    clinical.save()
    wounds = Skill.objects.create(organization=world.org, code="wounds", name="Wound care", parent=clinical)
    wounds.path = f"{clinical.path}{wounds.pk}/"
    wounds.save()
    other = Skill.objects.create(organization=world.org, code="finance", name="Finance")
    other.path = f"/{other.pk}/"
    other.save()
    for title, skills in (("Dressings", [wounds]), ("Clinical basics", [clinical]), ("Budgets", [other])):
        course = CourseFactory(organization=world.org, title=title)
        course.skills.set(skills)
        SectionFactory(course=course)
        ActivityFactory(section=course.sections.get(), kind="test_text", config={"text": ""})
        publish(course, by=admin)
    client = as_person(world.learner)
    assert shown(client.get(BROWSE, {"skill": clinical.pk})) == ["Clinical basics", "Dressings"]
    assert shown(client.get(BROWSE, {"skill": wounds.pk})) == ["Dressings"]
    response = client.get(BROWSE, {"skill": other.pk})
    assert shown(response) == ["Budgets"]
    assert response.context["cards"][0].skills == ["Finance"]


def test_newest_first_sorts_by_publication_date(as_person, world, admin):
    old = published_course(world.org, admin, "Old")
    published_course(world.org, admin, "New")
    CatalogEntry.objects.filter(course=old).update(published_at=timezone.now() - dt.timedelta(days=30))
    assert shown(as_person(world.learner).get(BROWSE, {"sort": "newest"})) == ["New", "Old"]


def test_values_not_on_offer_are_ignored_including_another_organisations_category(as_person, world, admin):
    foreign = category(world.other_org, "Theirs")
    published_course(world.other_org, world.outsider.user, "Foreign", category=foreign)
    published_course(world.org, admin, "Ours")
    response = as_person(world.learner).get(
        BROWSE, {"category": foreign.pk, "skill": "x", "level": "guru", "duration": "forever", "page": "99"}
    )
    assert response.status_code == 200 and shown(response) == ["Ours"]


def test_pages_of_twenty_with_links_that_keep_the_filters(as_person, world, admin):
    for index in range(23):
        published_course(world.org, admin, f"Course {index:02d}", text="fire")
    client = as_person(world.learner)
    first = client.get(BROWSE, {"q": "fire"})
    assert len(shown(first)) == 20
    assert "q=fire&amp;page=2" in first.content.decode()
    second = client.get(BROWSE, {"q": "fire", "page": 2})
    assert len(shown(second)) == 3


def test_htmx_asks_get_the_results_and_the_count_only(as_person, world, admin):
    published_course(world.org, admin, "Fire safety")
    response = as_person(world.learner).get(BROWSE, {"q": "fire"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<h1>" not in html and "Fire safety" in html
    assert 'id="catalog-count" hx-swap-oob="innerHTML"' in html and "1 course matches your search." in html
    assert "HX-Request" in response["Vary"]
    full = as_person(world.learner).get(BROWSE, {"q": "fire"})
    assert full.content.decode().count('id="catalog-count"') == 1


def test_the_catalog_costs_the_same_number_of_queries_for_5_or_50_courses(
    as_person, world, admin, django_assert_max_num_queries
):
    safety = category(world.org, "Safety")
    skill = Skill.objects.create(organization=world.org, code="s", name="Skill", path="/x/")

    def add(count: int, start: int) -> None:
        for index in range(start, start + count):
            course = published_course(world.org, admin, f"Fire {index:03d}", category=safety, text="evacuation")
            course.skills.set([skill])
            publish(course, by=admin)

    add(5, 0)
    client = as_person(world.learner)
    client.get(BROWSE)  # warm up the session
    with django_assert_max_num_queries(20) as small:
        client.get(BROWSE)
    with django_assert_max_num_queries(20) as small_search:
        client.get(BROWSE, {"q": "evacuation", "category": safety.pk})
    add(45, 5)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(shown(client.get(BROWSE))) == 20
    with django_assert_max_num_queries(len(small_search.captured_queries)):
        response = client.get(BROWSE, {"q": "evacuation", "category": safety.pk})
    assert len(shown(response)) == 20 and response.context["cards"][0].skills == ["Skill"]


# --- the course page ---------------------------------------------------------------------------------------------


def test_a_learner_opens_a_course_page_with_its_outline_from_the_published_version(as_person, world, admin):
    safety = category(world.org, "Safety")
    course = published_course(
        world.org,
        admin,
        "Fire safety",
        summary="Stay safe.",
        description="<p>Know your <strong>exits</strong>.</p>",
        tags=["fire", "induction"],
        category=safety,
        level="intermediate",
        duration_minutes=90,
        sections=[("Basics", ["Alarms", "Extinguishers"]), ("Drills", ["Evacuation"])],
    )
    # The outline links to the activities for people enrolled (learners open activities only once enrolled).
    enroll(course, world.learner)
    # Draft edits after publishing are not shown to learners.
    Course.objects.filter(pk=course.pk).update(title="Draft title")
    course.sections.filter(title="Drills").update(title="Draft section")

    response = as_person(world.learner).get(course_url(course))
    assert response.status_code == 200
    page = response.context["page"]
    assert page.title == "Fire safety" and not page.preview
    # The first section is open with its activities; the others load theirs when opened.
    assert [(s.title, s.count, [a.title for a in s.activities]) for s in page.sections] == [
        ("Basics", 2, ["Alarms", "Extinguishers"]),
        ("Drills", 1, []),
    ]
    assert page.activity_count == 3
    html = response.content.decode()
    assert "<strong>exits</strong>" in html and "Intermediate" in html and "1 h 30 min" in html
    assert "Safety" in html and "induction" in html
    assert "Version 1.0, published" in html
    assert "Draft title" not in html and "Draft section" not in html
    assert "Edit course" not in html and "Preview the draft" not in html
    try:
        first = reverse(
            "catalog:activity",
            args=[course.pk, course.published_version.snapshot["sections"][0]["activities"][0]["uid"]],
        )
    except NoReverseMatch:
        pass
    else:
        assert f'href="{first}"' in html


def test_learners_cannot_open_drafts_archived_courses_other_audiences_or_other_organisations(as_person, world, admin):
    draft = CourseFactory(organization=world.org)
    archived = published_course(world.org, admin, "Archived")
    services.course_archive(course=archived, by=admin)
    theirs = audience_with(world, "Engineers", world.engineer)
    restricted = published_course(world.org, admin, "Engineers only", visibility=Visibility.AUDIENCE, audience=theirs)
    foreign = published_course(world.other_org, world.outsider.user, "Foreign")
    client = as_person(world.learner)
    for course in (draft, archived, restricted, foreign):
        assert client.get(course_url(course)).status_code == 404
        assert client.get(preview_url(course)).status_code == 404
    assert as_person(world.engineer).get(course_url(restricted)).status_code == 200


def test_the_team_previews_the_draft_bannered_and_finds_the_authoring_page(as_person, world, admin):
    course = published_course(world.org, admin, "Fire safety", sections=[("Basics", ["Alarms"])])
    staff(course, world.instructor)
    course.sections.update(title="Reworked basics")
    client = as_person(world.instructor)
    response = client.get(preview_url(course))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Preview — not published" in html and "Reworked basics" in html
    assert "Version 1.0" not in html
    published = client.get(course_url(course)).content.decode()
    assert "Basics" in published and "Reworked basics" not in published and "Preview the draft" in published
    try:
        edit = reverse("catalog:course-edit", args=[course.pk])
    except NoReverseMatch:
        return
    assert f'href="{edit}"' in html and f'href="{edit}"' in published


def test_the_course_team_finds_the_participants_from_the_course_page_and_learners_do_not(as_person, world, admin):
    course = published_course(world.org, admin, "Fire safety")
    staff(course, world.instructor)
    try:
        participants = reverse("enrollment:participants", args=[course.pk])
    except NoReverseMatch:
        pytest.skip("the enrollment app is not installed")
    link = f'href="{participants}">Participants</a>'
    assert link in as_person(world.instructor).get(course_url(course)).content.decode()
    assert link in as_person(world.instructor).get(preview_url(course)).content.decode()
    assert link not in as_person(world.learner).get(course_url(course)).content.decode()


def test_a_draft_never_published_has_a_preview_but_no_learner_page(as_person, world):
    course = CourseFactory(organization=world.org, title="New course")
    staff(course, world.instructor)
    client = as_person(world.instructor)
    assert client.get(course_url(course)).status_code == 404
    response = client.get(preview_url(course))
    assert response.status_code == 200 and "This course has no sections yet." in response.content.decode()


def test_the_course_page_costs_a_constant_number_of_queries(as_person, world, admin, django_assert_max_num_queries):
    small = published_course(world.org, admin, "Small", sections=[("One", ["A"])])
    big = published_course(
        world.org, admin, "Big", sections=[(f"Section {i}", [f"Activity {i}.{j}" for j in range(6)]) for i in range(8)]
    )
    client = as_person(world.learner)
    # The enrollment panel reads the enrollment and the course options; the menu asks whether they teach (#5).
    with django_assert_max_num_queries(20) as measured:
        client.get(course_url(small))
    with django_assert_max_num_queries(len(measured.captured_queries)):
        assert client.get(course_url(big)).status_code == 200


def test_durations_read_naturally():
    assert [duration_label(m) for m in (0, 5, 60, 90, 125)] == ["", "5 min", "1 h", "1 h 30 min", "2 h 5 min"]


def test_cards_and_the_course_page_show_the_published_cover_through_the_asset_view(as_person, world, admin):
    course = CourseFactory(organization=world.org, title="With a cover")
    cover = CourseAsset.objects.create(
        organization=world.org,
        course=course,
        purpose=CourseAsset.Purpose.IMAGE,
        file="courses/cover.png",
        original_name="cover.png",
        content_type="image/png",
    )
    course.cover = cover
    course.save()
    ActivityFactory(section=SectionFactory(course=course), kind="test_text", config={"text": ""})
    publish(course, by=admin)
    published_course(world.org, admin, "Without a cover")
    expected = reverse("catalog:asset", args=[course.pk, cover.pk, "cover"])
    client = as_person(world.learner)
    cards = {card.title: card.cover_url for card in client.get(BROWSE).context["cards"]}
    assert cards == {"With a cover": expected, "Without a cover": ""}
    assert f'src="{expected}"' in client.get(course_url(course)).content.decode()


def test_the_version_label_follows_later_versions(as_person, world, admin):
    course = published_course(world.org, admin, "Fire safety", text="One.")
    course.activities.update(config={"text": "Two."})
    publish(course, by=admin)
    assert CourseVersion.objects.filter(course=course).count() == 2
    html = as_person(world.learner).get(course_url(course)).content.decode()
    assert "Version 1.1, published" in html


# --- a large course: sections paged and loaded on demand ---------------------------------------------------------


def sized_course(world, admin, sections: int, per_section: int = 3, title: str = "Sized"):  # type: ignore[no-untyped-def]
    return published_course(
        world.org,
        admin,
        title,
        sections=[(f"Part {i + 1}", [f"Step {i + 1}.{j + 1}" for j in range(per_section)]) for i in range(sections)],
    )


def section_url(course: Course, uid: str) -> str:
    return reverse("catalog:course-section", args=[course.pk, uid])


def section_uids(course: Course) -> list[str]:
    return [section["uid"] for section in course.published_version.snapshot["sections"]]


def test_the_course_page_opens_one_section_and_loads_the_others_when_opened(as_person, world, admin):
    course = sized_course(world, admin, sections=3)
    enroll(course, world.learner)
    client = as_person(world.learner)
    html = client.get(course_url(course)).content.decode()
    second = section_uids(course)[1]
    assert "Step 1.2" in html and "Step 2.1" not in html
    assert html.count('<details class="course-section-details"') == 3
    assert html.count('<details class="course-section-details" open>') == 1
    # A closed section loads its activities the first time it is opened (htmx), or through a plain link.
    assert f'hx-get="{section_url(course, second)}" hx-trigger="toggle once"' in html
    fallback = f"{course_url(course)}?section={second}#section-{second}"
    assert f'href="{fallback}"' in html
    fragment = client.get(section_url(course, second), headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "HX-Request" in fragment["Vary"]
    body = fragment.content.decode()
    assert "<html" not in body and "Step 2.1" in body and "Step 2.3" in body and "Step 1.1" not in body
    first = course.published_version.snapshot["sections"][1]["activities"][0]["uid"]
    assert f'href="{reverse("catalog:activity", args=[course.pk, first])}"' in body
    # Without htmx: the course page with that section open.
    plain = client.get(section_url(course, second))
    assert plain.status_code == 302 and plain["Location"] == fallback
    opened = client.get(fallback.split("#")[0])
    assert [s.title for s in opened.context["page"].sections if s.activities] == ["Part 2"]


def test_a_learner_who_is_not_enrolled_sees_a_section_without_links(as_person, world, admin):
    course = sized_course(world, admin, sections=2)
    fragment = as_person(world.learner).get(
        section_url(course, section_uids(course)[1]), headers={"HX-Request": "true"}
    )
    body = fragment.content.decode()
    assert fragment.status_code == 200 and "Step 2.1" in body and "<a " not in body


def test_sections_of_courses_nobody_may_see_are_not_found(as_person, world, admin):
    theirs = audience_with(world, "Engineers", world.engineer)
    restricted = published_course(
        world.org, admin, "Engineers only", visibility=Visibility.AUDIENCE, audience=theirs, sections=[("A", ["a"])]
    )
    foreign = published_course(world.other_org, world.outsider.user, "Foreign", sections=[("B", ["b"])])
    draft = CourseFactory(organization=world.org)
    visible = sized_course(world, admin, sections=1)
    client = as_person(world.learner)
    for course in (restricted, foreign):
        response = client.get(section_url(course, section_uids(course)[0]), headers={"HX-Request": "true"})
        assert response.status_code == 404
    assert client.get(section_url(draft, str(uuid.uuid4())), headers={"HX-Request": "true"}).status_code == 404
    # A section of another course (or none) through this course's address.
    other = section_uids(restricted)[0]
    assert client.get(section_url(visible, other), headers={"HX-Request": "true"}).status_code == 404
    assert client.get(section_url(visible, str(uuid.uuid4()))).status_code == 404


def test_the_course_page_shows_sections_25_at_a_time(as_person, world, admin):
    course = sized_course(world, admin, sections=60, per_section=1)
    client = as_person(world.learner)
    first = client.get(course_url(course))
    page = first.context["page"]
    assert [s.title for s in page.sections][:2] == ["Part 1", "Part 2"] and len(page.sections) == 25
    assert page.activity_count == 60 and "60 activities" in first.content.decode()
    last = client.get(course_url(course), {"page": 3}).context["page"]
    assert [s.title for s in last.sections] == [f"Part {i}" for i in range(51, 61)]
    # The last page's first section is open; asking for a section shows its page with it open.
    assert [s.title for s in last.sections if s.expanded] == ["Part 51"]
    asked = client.get(course_url(course), {"section": section_uids(course)[33]}).context["page"]
    assert asked.sections_page.number == 2 and [s.title for s in asked.sections if s.expanded] == ["Part 34"]
    html = first.content.decode()
    assert 'rel="next"' in html and "Page 1 of 3" in html and 'start="1"' in html


def test_the_course_page_costs_the_same_and_grows_only_by_headings_for_5_or_60_sections(
    as_person, world, admin, django_assert_max_num_queries
):
    few = sized_course(world, admin, sections=5, title="Few")
    many = sized_course(world, admin, sections=60, title="Many")
    for course in (few, many):
        enroll(course, world.learner)
    client = as_person(world.learner)
    client.get(course_url(few)), client.get(course_url(many))  # the outlines are cached per version
    with django_assert_max_num_queries(30) as measured:
        small = client.get(course_url(few)).content.decode()
    with django_assert_max_num_queries(len(measured.captured_queries)):
        large = client.get(course_url(many)).content.decode()
    # 180 activities, one page of 25 sections, one of them open: 20 more closed sections than the small course.
    closed = small.split('<li class="course-section"')[2].split("</li>\n")[0]
    assert large.count('<details class="course-section-details"') == 25 and large.count("course-activities") == 1
    # Each closed section (titles and counts a few characters longer), and the pager.
    assert len(large) - len(small) <= 20 * (len(closed) + 20) + 600


def test_the_outline_of_a_version_is_read_once_and_never_confused_with_another(world, admin, django_assert_num_queries):
    course = sized_course(world, admin, sections=2)
    version = CourseVersion.objects.defer("snapshot").get(pk=course.published_version_id)
    learning.clear_outline_cache()
    with django_assert_num_queries(1):
        outline = learning.version_outline(version)
    with django_assert_num_queries(0):
        assert learning.version_outline(version) is outline
    assert [s.title for s in outline.sections] == ["Part 1", "Part 2"] and len(outline.activities) == 6
    # Same id, another publish time (a rolled-back test database reusing ids): parsed afresh.
    version.published_at += dt.timedelta(seconds=1)
    with django_assert_num_queries(1):
        assert learning.version_outline(version) is not outline
