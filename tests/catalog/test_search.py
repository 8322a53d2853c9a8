"""Full-text search over the catalog: stemmed, ranked, safe with any input, never wider than the queryset given.

Runs on both engines (SQLite FTS5 locally, PostgreSQL tsvector with DATABASE_URL): each test asserts what both
guarantee; engine-specific guarantees are marked and skipped on the other engine.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syllabus.catalog import search, services
from syllabus.catalog.models import CatalogEntry, Course
from syllabus.catalog.search import engines, query
from syllabus.skills.models import Skill
from tests.catalog.catalog_data import category, published_course, text_kind  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("text_kind")]

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="an FTS5 guarantee")


def postgres_only(test):  # type: ignore[no-untyped-def]
    test = pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL guarantee")(test)
    return pytest.mark.postgres(test)


def titles(queryset) -> list[str]:  # type: ignore[no-untyped-def]
    return [entry.title for entry in queryset]


def find(world, words: str) -> list[str]:  # type: ignore[no-untyped-def]
    return titles(search.search(CatalogEntry.objects.filter(organization=world.org), words))


@pytest.fixture
def admin(world):  # type: ignore[no-untyped-def]
    return world.org_admin.user


# --- words, stems and prefixes ----------------------------------------------------------------------------------


def test_a_plural_finds_the_singular_and_an_inflection_finds_the_stem(world, admin):
    published_course(world.org, admin, "Immunisation", text="Every vaccination is recorded.")
    published_course(world.org, admin, "Wards", text="How to run a ward at night.")
    published_course(world.org, admin, "Unrelated", text="Nothing to see here.")
    assert find(world, "vaccinations") == ["Immunisation"]
    assert find(world, "running") == ["Wards"]


def test_the_last_word_matches_as_a_prefix_while_typing(world, admin):
    published_course(world.org, admin, "Immunisation", text="Every vaccination is recorded.")
    assert find(world, "vacc") == ["Immunisation"]
    assert find(world, "recorded vacc") == ["Immunisation"]
    # Earlier words are whole words: "vacc" alone before another word does not match.
    assert find(world, "vacc recorded") == []


def test_every_word_must_match(world, admin):
    published_course(world.org, admin, "Fire safety", text="Evacuation routes and fire doors.")
    published_course(world.org, admin, "Fire wardens", text="Who checks the alarms.")
    assert sorted(find(world, "fire")) == ["Fire safety", "Fire wardens"]
    assert find(world, "fire evacuation") == ["Fire safety"]


def test_title_summary_description_tags_outline_and_activity_text_are_all_searched(world, admin):
    published_course(
        world.org,
        admin,
        "Alpha",
        summary="About zebras.",
        description="<p>Giraffes <strong>everywhere</strong>.</p>",
        tags=["pelican"],
        sections=[("Walruses", ["Meerkats at work"])],
        text="Octopus facts.",
    )
    for word in ("alpha", "zebra", "giraffes", "pelican", "walrus", "meerkats", "octopus"):
        assert find(world, word) == ["Alpha"], word
    # Markup is not text.
    assert find(world, "strong") == []


def test_a_tag_finds_its_courses(world, admin):
    published_course(world.org, admin, "Induction day", tags=["onboarding"])
    published_course(world.org, admin, "Other")
    assert find(world, "onboarding") == ["Induction day"]


@sqlite_only
def test_sqlite_folds_accents(world, admin):
    published_course(world.org, admin, "Café culture", text="Le résumé.")
    assert find(world, "cafe") == ["Café culture"]
    assert find(world, "resume") == ["Café culture"]


# --- ranking ----------------------------------------------------------------------------------------------------


def test_a_title_match_outranks_a_body_only_match_however_often_the_body_says_it(world, admin):
    published_course(world.org, admin, "Ward routines", text="hygiene " * 200)
    published_course(world.org, admin, "Hand hygiene", summary="Short.", text="Soap and water.")
    published_course(world.org, admin, "Cleaning", text="Hygiene matters. Hygiene again.")
    results = list(search.search(CatalogEntry.objects.filter(organization=world.org), "hygiene"))
    assert results[0].title == "Hand hygiene"
    assert results[0].rank >= 1 > max(entry.rank for entry in results[1:])
    assert [entry.rank for entry in results] == sorted((entry.rank for entry in results), reverse=True)


def test_a_title_match_outranks_a_summary_match(world, admin):
    published_course(world.org, admin, "Basics", summary="Everything about ladders and ladders.")
    published_course(world.org, admin, "Ladders", summary="Climbing safely.")
    assert find(world, "ladders") == ["Ladders", "Basics"]


# --- scope and hostile input -------------------------------------------------------------------------------------


def test_search_never_returns_what_the_queryset_excludes(world, admin):
    published_course(world.org, admin, "Ours about fire")
    published_course(world.other_org, world.outsider.user, "Theirs about fire")
    assert find(world, "fire") == ["Ours about fire"]
    narrowed = CatalogEntry.objects.filter(organization=world.org, title__startswith="Nothing")
    assert titles(search.search(narrowed, "fire")) == []


def test_an_empty_query_is_no_search(world, admin):
    published_course(world.org, admin, "One")
    published_course(world.org, admin, "Two")
    for blank in ("", "   ", "!!! ??? ---", '"'):
        results = search.search(CatalogEntry.objects.filter(organization=world.org).order_by("title"), blank)
        assert [(entry.title, entry.rank) for entry in results] == [("One", 0.0), ("Two", 0.0)]


HOSTILE = [
    '"',
    '"fire',
    "fire AND",
    "AND OR NOT",
    "NEAR(fire safety, 2)",
    "title:fire",
    "{title}: fire",
    "fire*",
    "*",
    "^fire",
    "(fire",
    "fire)",
    "'",
    "fire' OR '1'='1",
    "\\",
    "fire:*",
    "!fire & | <-> safety",
    "-fire",
    "fire\x00safety",
    "🔥 fire 🔥",
    "a" * 5000,
    " ".join(["fire"] * 500),
    "Robert'); DROP TABLE catalog_catalogentry;--",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_query_syntax_typed_by_a_person_is_just_text(world, admin, text):
    published_course(world.org, admin, "Fire safety", text="Evacuation.")
    results = titles(search.search(CatalogEntry.objects.filter(organization=world.org), text))
    assert results in ([], ["Fire safety"])
    assert CatalogEntry.objects.count() == 1


def test_any_text_at_all_never_breaks_the_search(world, admin):
    published_course(world.org, admin, "Fire safety", text="Evacuation, extinguishers and alarms.")
    entries = CatalogEntry.objects.filter(organization=world.org)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.text(max_size=200))
    def check(text: str) -> None:
        results = list(search.search(entries, text))
        assert len(results) <= 1

    check()


def test_query_words_are_letters_and_digits_only():
    assert query.terms('Fire-safety "AND" NEAR(x) résumé_2 ÉCOLE') == [
        "fire",
        "safety",
        "and",
        "near",
        "x",
        "résumé",
        "2",
        "école",
    ]
    assert len(query.terms("word " * 100)) == query.MAX_TERMS
    assert query.fts5_match(["fire", "saf"]) == '"fire" "saf"*'
    assert query.fts5_match(["fire"], column="title") == '{title} : ("fire"*)'
    assert query.tsquery(["fire", "saf"]) == "'fire' & 'saf':*"


# --- the index follows the catalog --------------------------------------------------------------------------------


def test_the_index_follows_publish_archive_unarchive_and_delete(world, admin):
    course = published_course(world.org, admin, "Manual handling", text="Lift with your legs.")
    assert find(world, "legs") == ["Manual handling"]
    services.course_archive(course=course, by=admin)
    assert find(world, "legs") == [] and not CatalogEntry.objects.exists()
    services.course_unarchive(course=course, by=admin)
    assert find(world, "legs") == ["Manual handling"]
    services.course_delete(course=course, by=admin)
    assert find(world, "legs") == []


def test_learners_search_the_published_version_not_the_draft(world, admin):
    course = published_course(world.org, admin, "Manual handling", text="Lift with your legs.")
    course.activities.update(config={"text": "Push trolleys."})
    Course.objects.filter(pk=course.pk).update(title="Renamed draft")
    search.index_course(course)
    assert find(world, "trolleys") == [] and find(world, "renamed") == []
    assert find(world, "legs") == ["Manual handling"]
    from tests.factories import publish

    publish(course, by=admin)
    assert find(world, "legs") == []
    assert find(world, "trolleys") == ["Renamed draft"]


def test_an_entry_copies_the_published_metadata_and_drops_ids_deleted_since(world, admin):
    safety = category(world.org, "Safety")
    skill = Skill.objects.create(organization=world.org, code="lifting", name="Lifting", path="/1/")
    course = published_course(
        world.org, admin, "Manual handling", summary="Lift well.", tags=["back", "lifting"], category=safety,
        level="advanced", language="fr", duration_minutes=45,
    )  # fmt: skip
    course.skills.set([skill])
    from tests.factories import publish

    publish(course, by=admin)
    entry = CatalogEntry.objects.get(course=course)
    assert (entry.title, entry.summary, entry.category, entry.level, entry.language, entry.duration_minutes) == (
        "Manual handling", "Lift well.", safety, "advanced", "fr", 45,
    )  # fmt: skip
    assert entry.tags == "back, lifting" and list(entry.skills.all()) == [skill]
    assert entry.version == course.published_version and entry.published_at == course.published_version.published_at
    safety.delete()
    course.skills.clear()
    skill.delete()
    entry = search.index_course(course)
    assert entry is not None and entry.category is None and not entry.skills.exists()


def test_a_course_without_a_published_version_has_no_entry(world, admin):
    from tests.factories import CourseFactory

    course = CourseFactory(organization=world.org)
    assert search.index_course(course) is None
    assert not CatalogEntry.objects.exists()
    search.remove_course(course)  # nothing listed: nothing to do


def test_rebuilding_the_index_keeps_every_entry_findable(world, admin):
    published_course(world.org, admin, "Manual handling", text="Lift with your legs.")
    search.rebuild_index()
    assert find(world, "legs") == ["Manual handling"]


def test_catalog_reindex_rewrites_entries_from_the_published_versions(world, admin):
    kept = published_course(world.org, admin, "Manual handling", text="Lift with your legs.")
    gone = published_course(world.org, admin, "Old course", text="Obsolete.")
    theirs = published_course(world.other_org, world.outsider.user, "Theirs", text="Legs.")
    CatalogEntry.objects.filter(course=kept).update(document="Stale text.")
    Course.objects.filter(pk=gone.pk).update(archived_at=kept.published_version.published_at)
    CatalogEntry.objects.filter(course=theirs).update(document="Untouched.")
    out = io.StringIO()
    call_command("catalog_reindex", "--organization", world.org.slug, stdout=out)
    assert "Indexed 1 courses; removed 1 entries" in out.getvalue()
    assert find(world, "legs") == ["Manual handling"] and find(world, "stale") == [] and find(world, "obsolete") == []
    assert CatalogEntry.objects.get(course=theirs).document == "Untouched."
    with pytest.raises(CommandError):
        call_command("catalog_reindex", "--organization", "nowhere")


@sqlite_only
def test_sqlite_puts_back_triggers_and_index_lost_when_django_rebuilds_the_entry_table(world, admin):
    published_course(world.org, admin, "Manual handling", text="Lift with your legs.")
    with connection.cursor() as cursor:
        for name in engines.SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")
        cursor.execute(f"DROP INDEX {engines.FILTERS_INDEX}")
    # A write while the triggers were missing is not in the index...
    CatalogEntry.objects.update(document="Push trolleys.")
    assert engines.ensure_schema(connection) == [*engines.SQLITE_TRIGGERS, engines.FILTERS_INDEX]
    # ...until ensure_schema (run after every migrate) re-created them and re-indexed.
    assert find(world, "trolleys") == ["Manual handling"] and find(world, "legs") == []
    assert engines.ensure_schema(connection) == []


@sqlite_only
def test_sqlite_lets_the_full_text_query_drive_counts_and_pages(world, admin):
    # Were the entries the outer loop, FTS5 would re-run the whole MATCH once per entry (seconds on 10,000).
    published_course(world.org, admin, "Manual handling", text="Lift with your legs.")
    entries = CatalogEntry.objects.filter(organization=world.org, category__isnull=True)
    with CaptureQueriesContext(connection) as queries:
        list(search.search(entries, "legs"))
        search.search(entries, "legs").count()
    for captured in queries.captured_queries:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {captured['sql']}")
            plan = [row[-1] for row in cursor.fetchall()]
        outer = next(step for step in plan if step.startswith(("SCAN", "SEARCH")))
        assert outer.startswith(f"SCAN {engines.FTS_TABLE}"), plan


def test_matching_filters_like_search_without_ranking(world, admin):
    published_course(world.org, admin, "Fire safety", text="Evacuation.")
    published_course(world.org, admin, "Alarms", text="Fire alarms and evacuation.")
    published_course(world.org, admin, "Budgets", text="Money.")
    entries = CatalogEntry.objects.filter(organization=world.org)
    assert sorted(titles(search.matching(entries, "evacuation fire"))) == ["Alarms", "Fire safety"]
    assert titles(search.matching(entries.order_by("title"), "")) == ["Alarms", "Budgets", "Fire safety"]
    assert search.matching(entries, '"AND( NEAR').count() == 0


@sqlite_only
def test_the_triggers_re_created_are_the_ones_the_migration_created():
    migration = Path(search.__file__).parent / "migrations" / "0001_fulltext_index.py"
    source = " ".join(migration.read_text().split())
    for sql in engines.SQLITE_TRIGGERS.values():
        assert " ".join(sql.split()) in source


@postgres_only
def test_postgres_weights_the_title_a_and_can_use_the_gin_index(world, admin):
    published_course(world.org, admin, "Ladders", summary="Climbing.", tags=["height"], text="Rungs.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_vector::text FROM catalog_catalogentry")
        vector = cursor.fetchone()[0]
        assert "'ladder':1A" in vector and "'height':2B" in vector and "'climb':3C" in vector
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = search.search(CatalogEntry.objects.all(), "ladders").query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "catalog_search_vector_gin" in plan
    # No pending list: PostgreSQL would scan it on every search, and cost its way into sequential scans.
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'catalog_search_vector_gin'")
        assert cursor.fetchone()[0] == ["fastupdate=off"]
