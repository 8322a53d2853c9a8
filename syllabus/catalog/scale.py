"""`manage.py generate_scale --courses N`: N published courses with real-looking text, built in bulk.

Registered with `syllabus.core.scale` (by the catalog_search app, see catalog/search/apps.py). Each course gets a
title, summary and description written from word lists around one of the TOPICS (so a search for "hygiene" finds
the hand-hygiene courses, and their page text too), a category, tags, skills of the organisation's framework if it
has one, a level, a language, 2-4 sections of 2-5 Page activities, and one published version 1.0 with its
catalog entry. The full-text index follows the entries by itself (database triggers).

Fast on purpose: bulk inserts in batches inside one transaction, snapshots built in memory in the format of
`catalog.versions.build_snapshot` (no per-course services, events or audit records: this is test data). 10,000
courses take about 30 s on SQLite and 45 s on PostgreSQL on the reference machine (bench/README.md).

`build_sized_course` builds one course the size of Moodle's test courses (hundreds of sections, 1,500 pages) for
`generate_scale --course-size S|M|L`, which enrollment/scale.py drives (it enrolls the learners too).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.text import slugify

from syllabus.catalog.models import (
    Activity,
    CatalogEntry,
    Category,
    Course,
    CourseVersion,
    Level,
    Section,
    Tag,
    Visibility,
)
from syllabus.catalog.search.documents import entry_values
from syllabus.core.scale import ScaleContext
from syllabus.skills.models import Skill


@dataclass(frozen=True)
class Topic:
    name: str
    category: str
    words: tuple[str, ...]  # subject words the text is written from (and tags drawn from)


TOPICS: tuple[Topic, ...] = (
    Topic("Infection Prevention", "Clinical practice", ("infection", "hygiene", "isolation", "pathogens", "gloves")),
    Topic("Hand Hygiene", "Clinical practice", ("handwashing", "hygiene", "sanitiser", "infection", "contact")),
    Topic("Vaccination Practice", "Clinical practice", ("vaccination", "immunisation", "consent", "cold chain")),
    Topic("Medicines Management", "Clinical practice", ("medication", "dosage", "prescribing", "errors")),
    Topic("Wound Care", "Clinical practice", ("dressings", "healing", "assessment", "infection", "pressure")),
    Topic("Basic Life Support", "Clinical practice", ("resuscitation", "compressions", "defibrillator", "airway")),
    Topic("Fire Safety", "Health and safety", ("fire", "evacuation", "extinguishers", "alarms", "drills")),
    Topic("Manual Handling", "Health and safety", ("lifting", "posture", "back injury", "risk assessment")),
    Topic("Display Screen Equipment", "Health and safety", ("workstation", "posture", "eye strain", "breaks")),
    Topic("Working at Height", "Health and safety", ("ladders", "scaffolds", "harness", "falls", "permits")),
    Topic("Hazardous Substances", "Health and safety", ("chemicals", "labels", "spills", "ventilation", "COSHH")),
    Topic("Lone Working", "Health and safety", ("check-in", "risk assessment", "personal safety", "escalation")),
    Topic("Data Protection", "Compliance", ("privacy", "personal data", "consent", "breaches", "retention")),
    Topic("Anti-Bribery", "Compliance", ("bribery", "gifts", "hospitality", "conflicts of interest")),
    Topic("Anti-Money Laundering", "Compliance", ("laundering", "due diligence", "suspicious activity")),
    Topic("Modern Slavery Awareness", "Compliance", ("supply chain", "exploitation", "reporting", "indicators")),
    Topic("Safeguarding Adults", "Safeguarding", ("safeguarding", "abuse", "neglect", "referral", "capacity")),
    Topic("Safeguarding Children", "Safeguarding", ("safeguarding", "child protection", "disclosure", "referral")),
    Topic("Leading Teams", "Leadership", ("leadership", "delegation", "feedback", "motivation", "goals")),
    Topic("Coaching Conversations", "Leadership", ("coaching", "questions", "listening", "goals", "feedback")),
    Topic("Managing Change", "Leadership", ("change", "resistance", "communication", "stakeholders")),
    Topic("Running Effective Meetings", "Communication", ("meetings", "agenda", "running", "decisions")),
    Topic("Difficult Conversations", "Communication", ("conflict", "empathy", "listening", "de-escalation")),
    Topic("Writing for the Web", "Communication", ("writing", "plain English", "headings", "accessibility")),
    Topic("Customer Service Excellence", "Customer service", ("customers", "complaints", "empathy", "service")),
    Topic("Handling Complaints", "Customer service", ("complaints", "apology", "resolution", "escalation")),
    Topic("Cyber Security Basics", "Technology", ("phishing", "passwords", "malware", "encryption", "updates")),
    Topic("Spreadsheet Skills", "Technology", ("spreadsheets", "formulas", "pivot tables", "charts")),
    Topic("Introduction to Data Analysis", "Technology", ("data", "analysis", "statistics", "visualisation")),
    Topic("Budgeting Basics", "Finance", ("budgets", "forecasts", "variance", "cost control")),
    Topic("Procurement Essentials", "Finance", ("procurement", "tenders", "suppliers", "contracts")),
    Topic("Recruitment and Selection", "People management", ("recruitment", "interviews", "bias", "onboarding")),
    Topic("Performance Reviews", "People management", ("appraisal", "objectives", "feedback", "development")),
    Topic("Equality and Diversity", "People management", ("equality", "diversity", "inclusion", "bias")),
    Topic("Mental Health Awareness", "Wellbeing", ("mental health", "stress", "resilience", "support")),
    Topic("Sleep and Shift Work", "Wellbeing", ("sleep", "fatigue", "night shifts", "rest", "running")),
    Topic("Quality Improvement", "Quality", ("improvement", "audit", "PDSA cycles", "measurement")),
    Topic("Root Cause Analysis", "Quality", ("incidents", "root causes", "investigation", "learning")),
)
TITLE_PATTERNS = (
    "{topic}",
    "Introduction to {topic}",
    "{topic} Essentials",
    "{topic}: Annual Refresher",
    "{topic} in Practice",
    "Advanced {topic}",
    "{topic} for Managers",
    "{topic} for New Starters",
    "{topic}: {word_title}",
    "Understanding {word_title}",
)
AUDIENCES = ("new starters", "team leaders", "clinical staff", "support staff", "managers", "everyone")
SUMMARY_PATTERNS = (
    "A practical course on {topic_lower} for {audience}: what to do, why it matters and how to check it.",
    "Learn the essentials of {word} and {word2}, with examples from everyday work.",
    "Build confidence with {word} through short pages, real cases and a quick self-check.",
    "What {audience} need to know about {word}, {word2} and {word3}.",
)
SENTENCES = (
    "Good {word} starts with a clear understanding of the risks.",
    "This course explains {word} in plain language, with examples from real teams.",
    "You will practise {word} and {word2} through short scenarios.",
    "Most incidents involving {word} can be prevented with simple checks.",
    "When in doubt about {word}, ask a colleague or your manager before going ahead.",
    "Record what you did and why: clear notes about {word} protect everyone.",
    "The policy on {word} applies to every site and every shift.",
    "Take a moment to reflect on how {word} affects your own work.",
    "Teams that talk openly about {word2} learn faster from near misses.",
    "Keep {word} in mind when planning, running and reviewing your work.",
    "The checklist at the end of this page summarises the key points on {word2}.",
    "Regular refreshers keep knowledge of {word} current as guidance changes.",
)
SECTION_TITLES = (
    "Getting started", "Key concepts", "In practice", "Case studies", "Common mistakes", "Check your understanding",
    "Roles and responsibilities", "The law and policy", "Next steps",
)  # fmt: skip
ACTIVITY_PATTERNS = (
    "What is {word}?", "Why {word} matters", "{word_title} step by step", "A closer look at {word}",
    "{word_title}: a case study", "Checklist: {word}", "Myths about {word}", "{word_title} at a glance",
)  # fmt: skip
GENERIC_TAGS = ("mandatory", "refresher", "induction", "e-learning", "annual", "short", "certificate")
LANGUAGES = (("en", 80), ("fr", 5), ("de", 5), ("es", 4), ("pt-BR", 3), ("nl", 3))
LEVELS = ((Level.BEGINNER, 55), (Level.INTERMEDIATE, 30), (Level.ADVANCED, 15))


@dataclass
class Batch:
    courses: list[Course] = field(default_factory=list)
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    tag_ids: list[list[int]] = field(default_factory=list)
    skill_ids: list[list[int]] = field(default_factory=list)
    sections: list[tuple[int, Section]] = field(default_factory=list)  # (course index, section)
    activities: list[tuple[int, Activity]] = field(default_factory=list)  # (section index, activity)


def build_courses(context: ScaleContext, count: int) -> None:
    """Add `count` published courses to the organisation's catalog (see the module docstring)."""
    started = time.perf_counter()
    builder = CourseBuilder(context)
    with transaction.atomic():
        builder.prepare()
        done = 0
        while done < count:
            size = min(context.batch_size, count - done)
            builder.insert(builder.batch(size))
            done += size
    analyze()
    context.report.append(
        f"Built {count:,} published courses in {len(builder.categories)} categories "
        f"in {time.perf_counter() - started:.1f} s."
    )


def analyze() -> None:
    """Refresh the planner statistics of the tables just filled (stale ones make PostgreSQL pick slow plans)."""
    tables = [model._meta.db_table for model in (Course, Section, Activity, CourseVersion, CatalogEntry)]
    with connection.cursor() as cursor:
        for table in [*tables, Course.tags.through._meta.db_table, CatalogEntry.skills.through._meta.db_table]:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


class CourseBuilder:
    def __init__(self, context: ScaleContext) -> None:
        self.context = context
        self.organization = context.organization
        self.random = context.random
        self.now = timezone.now()
        self.categories: dict[str, Category] = {}
        self.tags: dict[str, Tag] = {}
        self.skills: list[Skill] = []

    # --- reference data ----------------------------------------------------------------------------------------

    def prepare(self) -> None:
        org = self.organization
        names = sorted({topic.category for topic in TOPICS})
        Category.objects.bulk_create(
            [Category(organization=org, name=name, slug=slugify(name), position=i) for i, name in enumerate(names)],
            ignore_conflicts=True,
        )
        self.categories = {c.slug: c for c in Category.objects.filter(organization=org, slug__in=map(slugify, names))}
        tag_names = sorted({word for topic in TOPICS for word in topic.words} | set(GENERIC_TAGS))
        Tag.objects.bulk_create([Tag(organization=org, name=name) for name in tag_names], ignore_conflicts=True)
        self.tags = {t.name: t for t in Tag.objects.filter(organization=org, name__in=tag_names)}
        self.skills = list(Skill.objects.filter(organization=org, is_active=True).order_by("pk"))

    # --- text --------------------------------------------------------------------------------------------------

    def words(self, topic: Topic) -> dict[str, str]:
        word, word2, word3 = (self.random.choice(topic.words) for _ in range(3))
        return {
            "topic": topic.name,
            "topic_lower": topic.name.lower(),
            "word": word,
            "word2": word2,
            "word3": word3,
            "word_title": word[:1].upper() + word[1:],
            "audience": self.random.choice(AUDIENCES),
        }

    def paragraph(self, topic: Topic, sentences: int) -> str:
        return " ".join(self.random.choice(SENTENCES).format(**self.words(topic)) for _ in range(sentences))

    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self.random.getrandbits(128), version=4)

    def weighted(self, choices: tuple[tuple[Any, int], ...]) -> Any:
        return self.random.choices([value for value, _ in choices], weights=[weight for _, weight in choices])[0]

    # --- courses -----------------------------------------------------------------------------------------------

    def batch(self, size: int) -> Batch:
        batch = Batch()
        for _ in range(size):
            self.course(batch)
        return batch

    def course(self, batch: Batch) -> None:
        rnd, topic = self.random, self.random.choice(TOPICS)
        category = self.categories[slugify(topic.category)]
        title = rnd.choice(TITLE_PATTERNS).format(**self.words(topic))[:200]
        summary = rnd.choice(SUMMARY_PATTERNS).format(**self.words(topic))[:500]
        description = "".join(f"<p>{self.paragraph(topic, rnd.randint(2, 4))}</p>" for _ in range(rnd.randint(1, 3)))
        tag_names = sorted(set(rnd.sample(topic.words, min(len(topic.words), rnd.randint(1, 3)))))
        if rnd.random() < 0.4:
            tag_names = sorted({*tag_names, rnd.choice(GENERIC_TAGS)})
        skills = sorted(rnd.sample(self.skills, min(len(self.skills), rnd.randint(0, 3))), key=lambda s: s.name)
        sections = []
        course_index = len(batch.courses)
        for position in range(rnd.randint(2, 4)):
            section = Section(
                uid=self.uid(),
                title=rnd.choice(SECTION_TITLES),
                summary=self.paragraph(topic, 1) if rnd.random() < 0.5 else "",
                position=position,
            )
            batch.sections.append((course_index, section))
            section_index = len(batch.sections) - 1
            activities = []
            for a_position in range(rnd.randint(2, 5)):
                body = "".join(f"<p>{self.paragraph(topic, rnd.randint(2, 5))}</p>" for _ in range(rnd.randint(1, 3)))
                activity = Activity(
                    uid=self.uid(),
                    kind="page",
                    title=rnd.choice(ACTIVITY_PATTERNS).format(**self.words(topic))[:200],
                    position=a_position,
                    config={"body": body},
                    completion={"rule": "viewed"},
                    is_required=rnd.random() < 0.9,
                    duration_minutes=rnd.choice((3, 5, 5, 10, 10, 15, 20, 30)),
                )
                batch.activities.append((section_index, activity))
                activities.append(activity)
            sections.append((section, activities))
        duration = sum(a.duration_minutes for _, acts in sections for a in acts) * rnd.choice((1, 1, 1, 2, 4))
        course = Course(
            organization=self.organization,
            title=title,
            summary=summary,
            description=description,
            category=category,
            language=self.weighted(LANGUAGES),
            level=self.weighted(LEVELS),
            duration_minutes=duration,
            visibility=Visibility.ORGANIZATION,
        )
        batch.courses.append(course)
        batch.tag_ids.append([self.tags[name].pk for name in tag_names])
        batch.skill_ids.append([skill.pk for skill in skills])
        # The format of catalog.versions.build_snapshot (schema 1).
        batch.snapshots.append(
            {
                "schema": 1,
                "title": course.title,
                "summary": course.summary,
                "description": course.description,
                "cover_asset_id": None,
                "category": {"id": category.pk, "name": category.name},
                "tags": tag_names,
                "skills": [{"id": skill.pk, "name": skill.name} for skill in skills],
                "language": course.language,
                "level": course.level,
                "duration_minutes": course.duration_minutes,
                "visibility": course.visibility,
                "audience_id": None,
                "sections": [
                    {
                        "uid": str(section.uid),
                        "title": section.title,
                        "summary": section.summary,
                        "activities": [
                            {
                                "uid": str(activity.uid),
                                "kind": activity.kind,
                                "title": activity.title,
                                "config": activity.config,
                                "completion": activity.completion,
                                "is_required": activity.is_required,
                                "duration_minutes": activity.duration_minutes,
                                "skills": [],
                            }
                            for activity in activities
                        ],
                    }
                    for section, activities in sections
                ],
            }
        )

    def insert(self, batch: Batch) -> None:
        size = self.context.batch_size
        courses = Course.objects.bulk_create(batch.courses, batch_size=size)
        Course.tags.through.objects.bulk_create(
            [
                Course.tags.through(course_id=course.pk, tag_id=tag_id)
                for course, tag_ids in zip(courses, batch.tag_ids, strict=True)
                for tag_id in tag_ids
            ],
            batch_size=size,
        )
        Course.skills.through.objects.bulk_create(
            [
                Course.skills.through(course_id=course.pk, skill_id=skill_id)
                for course, skill_ids in zip(courses, batch.skill_ids, strict=True)
                for skill_id in skill_ids
            ],
            batch_size=size,
        )
        for course_index, section in batch.sections:
            section.course = courses[course_index]
        sections = Section.objects.bulk_create([section for _, section in batch.sections], batch_size=size)
        for section_index, activity in batch.activities:
            activity.section = sections[section_index]
            activity.course_id = activity.section.course_id
        Activity.objects.bulk_create([activity for _, activity in batch.activities], batch_size=size)

        published = [self.now - dt.timedelta(minutes=self.random.randint(0, 3 * 365 * 24 * 60)) for _ in courses]
        versions = CourseVersion.objects.bulk_create(
            [
                CourseVersion(
                    organization=self.organization,
                    course=course,
                    major=1,
                    minor=0,
                    change=CourseVersion.Change.MAJOR,
                    snapshot=snapshot,
                    asset_ids=[],
                    published_at=at,
                )
                for course, snapshot, at in zip(courses, batch.snapshots, published, strict=True)
            ],
            batch_size=size,
        )
        # One UPDATE for the batch rather than one per course.
        Course.objects.filter(pk__in=[course.pk for course in courses]).update(
            published_version=Subquery(CourseVersion.objects.filter(course=OuterRef("pk")).values("pk")[:1])
        )
        entries = []
        for course, version, snapshot in zip(courses, versions, batch.snapshots, strict=True):
            values = entry_values(snapshot)
            entries.append(
                CatalogEntry(
                    organization=self.organization,
                    course=course,
                    version=version,
                    title=values.title,
                    summary=values.summary,
                    category_id=values.category_id,
                    language=values.language,
                    level=values.level,
                    duration_minutes=values.duration_minutes,
                    visibility=values.visibility,
                    tags=values.tags,
                    document=values.document,
                    published_at=version.published_at,
                )
            )
        entries = CatalogEntry.objects.bulk_create(entries, batch_size=size)
        CatalogEntry.skills.through.objects.bulk_create(
            [
                CatalogEntry.skills.through(catalogentry_id=entry.pk, skill_id=skill_id)
                for entry, skill_ids in zip(entries, batch.skill_ids, strict=True)
                for skill_id in skill_ids
            ],
            batch_size=size,
        )


# --- one large course (`generate_scale --course-size S|M|L`, driven by enrollment/scale.py) -------------------------

SIZED_TITLE = "{topic} (size {size})"  # how a course of a given size is titled, and found again by bench/


def build_sized_course(
    context: ScaleContext, *, size: str, sections: int, activities: int, owner_id: int | None = None
) -> Course:
    """One published course with `sections` sections and `activities` short Page activities spread evenly over them,
    shaped like the courses of Moodle's test-course generator (admin/tool/generator) so figures compare.

    Rows go in with bulk inserts; the version, its snapshot and the catalog entry are made by the catalog's own
    publishing code (`course_publish_unchecked`: one audit record and one CoursePublished event, as for any
    publish). `owner_id` (a membership) joins the course team as owner, for the course-team pages.
    """
    from syllabus.catalog.models import CourseStaff
    from syllabus.catalog.services import course_publish_unchecked

    builder = CourseBuilder(context)
    builder.prepare()
    rnd, topic = builder.random, builder.random.choice(TOPICS)
    course = Course.objects.create(
        organization=builder.organization,
        title=SIZED_TITLE.format(topic=topic.name, size=size)[:200],
        summary=rnd.choice(SUMMARY_PATTERNS).format(**builder.words(topic))[:500],
        description=f"<p>{builder.paragraph(topic, 3)}</p>",
        category=builder.categories[slugify(topic.category)],
        language="en",
        level=builder.weighted(LEVELS),
        visibility=Visibility.ORGANIZATION,
    )
    course.tags.set([builder.tags[word] for word in sorted(set(topic.words))[:3]])
    rows = Section.objects.bulk_create(
        [
            Section(
                course=course,
                uid=builder.uid(),
                title=f"{index + 1}. {rnd.choice(SECTION_TITLES)}",
                summary="",
                position=index,
            )
            for index in range(sections)
        ],
        batch_size=context.batch_size,
    )
    pages: list[Activity] = []
    placed = [0] * sections
    for index in range(activities):
        # Even spread: section i holds activities [i * n / s, (i + 1) * n / s).
        section_index = index * sections // activities
        section, placed[section_index] = rows[section_index], placed[section_index] + 1
        pages.append(
            Activity(
                course=course,
                section=section,
                uid=builder.uid(),
                kind="page",
                title=rnd.choice(ACTIVITY_PATTERNS).format(**builder.words(topic))[:200],
                position=placed[section_index] - 1,
                # Small bodies, like Moodle's generated pages: the size under test is the structure, not the text.
                config={"body": f"<p>{builder.paragraph(topic, 2)}</p>"},
                completion={"rule": "viewed"},
                is_required=rnd.random() < 0.9,
                duration_minutes=rnd.choice((3, 5, 5, 10)),
            )
        )
    Activity.objects.bulk_create(pages, batch_size=context.batch_size)
    Course.objects.filter(pk=course.pk).update(duration_minutes=sum(page.duration_minutes for page in pages))
    if owner_id is not None:
        CourseStaff.objects.create(course=course, membership_id=owner_id, role=CourseStaff.Role.OWNER)
    course_publish_unchecked(course=course, by=None, notes="Generated by generate_scale.")
    return course
