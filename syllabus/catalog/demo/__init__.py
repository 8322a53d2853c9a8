"""The catalog's part of `manage.py seed_demo`: Northwind Health's categories and courses, built through the
catalog services exactly as people would build them in the authoring pages.

- Courses are written by the demo instructors (Sophie Turner, Marcus Reid), reviewed by the demo reviewer
  (Samuel Okafor): some approved, one sent back and fixed, two waiting in the review queue, one a plain draft,
  one published without review by the organisation admin. The Welcome course has two versions (1.0, 1.1).
- Every upload (covers, the captioned video, PDFs) goes through the activity kinds and `catalog.uploads`, so the
  files are sniffed, re-encoded and stored like any author's.
- Idempotent: a course is looked up by its title in the organisation, and a course that exists is left alone.

`register_demo()`, called from the catalog's AppConfig.ready(), registers `seed_catalog` and `reset_catalog` with
`syllabus.core.demo`.
"""

from __future__ import annotations

import functools
import io
import textwrap
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models.functions import Length
from django.utils.text import slugify
from PIL import Image, ImageDraw, ImageFont

from syllabus.accounts.models import Membership, Organization, User
from syllabus.audiences.models import Audience
from syllabus.catalog import services, uploads
from syllabus.catalog.demo.courses import (
    AMARA,
    APPROVED,
    CATEGORIES,
    COURSES,
    DIRECT,
    PENDING,
    SAMUEL,
    SENT_BACK,
    Act,
    CourseSpec,
    Sec,
)
from syllabus.catalog.models import Activity, Category, Course, CourseAsset, Section, Visibility
from syllabus.core import demo
from syllabus.core.demo import Organizations, Output
from syllabus.skills.models import Skill

HERE = Path(__file__).resolve().parent
CONTENT, FILES = HERE / "content", HERE / "files"
ORGANIZATION = "northwind"
# The part of a page written after the review sent the course back (see courses.SENT_BACK).
AFTER_REVIEW = "<!-- added after review -->"
CONTENT_TYPES = {".webm": "video/webm", ".vtt": "text/vtt", ".pdf": "application/pdf", ".txt": "text/plain"}


def html_file(path: str, *, first_draft: bool = False) -> str:
    """A page's HTML; `first_draft` stops at the part added after review. (The services sanitise it.)"""
    text = (CONTENT / path).read_text(encoding="utf-8")
    if first_draft:
        text = text.split(AFTER_REVIEW, 1)[0]
    return text.replace(AFTER_REVIEW, "")


def paragraphs(text: str) -> str:
    return "".join(f"<p>{escape(part.strip())}</p>" for part in text.split("\n\n") if part.strip())


def upload(name: str) -> SimpleUploadedFile:
    data = (FILES / name).read_bytes()
    return SimpleUploadedFile(name, data, content_type=CONTENT_TYPES.get(Path(name).suffix, ""))


def cover_jpeg(title: str, category: str, colour: tuple[int, int, int]) -> bytes:
    """A plain cover: the category's colour, the course title, the organisation's name. 16:9 JPEG, because it
    encodes far faster than PNG – here and again when the upload service re-encodes it – and seeding stays quick."""
    width, height = 1280, 720
    image = Image.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(image)
    # A lighter band gives the cover some depth without pretending to be a photograph.
    lighter = tuple(min(255, c + 28) for c in colour)
    draw.polygon([(width * 0.55, 0), (width, 0), (width, height), (width * 0.35, height)], fill=lighter)
    draw.rectangle((80, 120, 200, 128), fill="white")
    draw.text((80, 150), category.upper(), font=ImageFont.load_default(size=34), fill="white")
    lines = textwrap.wrap(title, 24)
    size = 84 if len(lines) < 3 else 70
    font = ImageFont.load_default(size=size)
    for number, line in enumerate(lines):
        draw.text((80, 230 + number * (size + 18)), line, font=font, fill="white")
    draw.text((80, height - 110), "Northwind Health", font=ImageFont.load_default(size=36), fill="white")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


class _Seeder:
    def __init__(self, organization: Organization) -> None:
        self.organization = organization
        self.created = 0
        self.people = {
            m.user.email: m
            for m in Membership.objects.filter(organization=organization, is_active=True).select_related("user")
        }

    def user(self, email: str) -> User:
        return self.people[email].user

    # --- categories and skills --------------------------------------------------------------------------------

    def categories(self) -> dict[str, Category]:
        existing = {c.name: c for c in Category.objects.filter(organization=self.organization)}
        for position, (name, _colour) in enumerate(CATEGORIES):
            if name not in existing:
                existing[name] = services.category_create(
                    organization=self.organization, by=self.user(AMARA), name=name, position=position
                )
                self.created += 1
        return existing

    def skills(self) -> dict[str, Skill]:
        from syllabus.skills.demo import seed_skills  # the skills app's demo framework

        return seed_skills(self.organization)

    # --- one course ---------------------------------------------------------------------------------------------

    def course(self, spec: CourseSpec, categories: Mapping[str, Category], skills: Mapping[str, Skill]) -> None:
        owner = self.user(spec.owner)
        audience = None
        if spec.audience:
            audience = Audience.objects.filter(organization=self.organization, name=spec.audience).first()
        course = services.course_create(
            organization=self.organization,
            by=owner,
            title=spec.title,
            summary=spec.summary,
            description=paragraphs(spec.description),
            category=categories[spec.category],
            tags=list(spec.tags),
            skills=[skills[code] for code in spec.skills if code in skills],
            language="en",
            level=spec.level,
            duration_minutes=sum(a.minutes for s in spec.sections for a in s.activities),
            # Without the audiences demo step the course is simply shown to everyone.
            visibility=Visibility.AUDIENCE if audience else Visibility.ORGANIZATION,
            audience=audience,
        )
        self.created += 1
        for email in spec.editors:
            services.staff_set(course=course, by=owner, membership=self.people[email], role="editor")
        colour = dict(CATEGORIES)[spec.category]
        cover = SimpleUploadedFile(
            f"{slugify(spec.title)}.jpg", cover_jpeg(spec.title, spec.category, colour), content_type="image/jpeg"
        )
        services.course_cover_set(course=course, by=owner, upload=cover)
        for section in spec.sections:
            self.section(course, owner, section, skills, first_draft=spec.workflow == SENT_BACK)
        self.workflow(course, spec, skills)

    def section(
        self, course: Course, by: User, spec: Sec, skills: Mapping[str, Skill], *, first_draft: bool = False
    ) -> Section:
        section = services.section_create(course=course, by=by, title=spec.title, summary=spec.summary)
        self.created += 1
        for act in spec.activities:
            self.activity(section, by, act, skills, first_draft=first_draft)
        return section

    def activity(
        self, section: Section, by: User, act: Act, skills: Mapping[str, Skill], *, first_draft: bool
    ) -> Activity:
        data = dict(act.data)
        if act.page:
            data["body"] = html_file(act.page, first_draft=first_draft)
        transcript = data.pop("transcript_file", None)
        if transcript:
            data["transcript"] = (FILES / transcript).read_text(encoding="utf-8")
        activity = services.activity_create(
            section=section,
            by=by,
            kind=act.kind,
            title=act.title,
            data=data,
            files={name: upload(file_name) for name, file_name in act.files.items()},
            completion=act.completion,
            is_required=act.required,
            duration_minutes=act.minutes,
            skills=[skills[code] for code in act.skills if code in skills],
        )
        self.created += 1
        return activity

    # --- review and publishing --------------------------------------------------------------------------------

    def workflow(self, course: Course, spec: CourseSpec, skills: Mapping[str, Skill]) -> None:
        owner, reviewer = self.user(spec.owner), self.user(SAMUEL)
        if spec.workflow == DIRECT:
            services.course_publish(course=course, by=self.user(AMARA), notes=spec.submit_notes)
        elif spec.workflow == PENDING:
            review = services.course_submit(course=course, by=owner, notes=spec.submit_notes)
            if spec.reviewer_comment:
                services.review_comment_add(review=review, by=reviewer, body=spec.reviewer_comment)
        elif spec.workflow == APPROVED:
            review = services.course_submit(course=course, by=owner, notes=spec.submit_notes)
            services.review_approve(review=review, by=reviewer, notes=spec.review_notes)
        elif spec.workflow == SENT_BACK:
            review = services.course_submit(course=course, by=owner, notes=spec.submit_notes)
            services.review_reject(review=review, by=reviewer, reason=spec.review_notes)
            # The authors add what the reviewer asked for (the pages' parts marked "added after review").
            for act in course.activities.filter(kind="page"):
                path = _page_path(spec, act.title)
                full = html_file(path)
                if full != html_file(path, first_draft=True):
                    services.activity_update(activity=act, by=owner, data={"body": full})
            review = services.course_submit(course=course, by=owner, notes=spec.fix_notes)
            services.review_approve(review=review, by=reviewer, notes="Thank you – approved.")
        self.created += course.versions.count() + course.reviews.count()
        course.refresh_from_db()  # the review services published through their own copy of the row
        if spec.revision is not None and course.published_version_id is not None:
            self.revise(course, spec, skills)

    def revise(self, course: Course, spec: CourseSpec, skills: Mapping[str, Skill]) -> None:
        revision = spec.revision
        assert revision is not None
        owner, reviewer = self.user(spec.owner), self.user(SAMUEL)
        for title, path in revision.pages.items():
            activity = course.activities.get(title=title)
            services.activity_update(activity=activity, by=owner, data={"body": html_file(path)})
        for section in revision.sections:
            self.section(course, owner, section, skills)
        review = services.course_submit(course=course, by=owner, notes=revision.notes)
        self.created += 1
        if revision.outcome == APPROVED:
            services.review_approve(review=review, by=reviewer, notes="Approved.")
            self.created += 1


def _page_path(spec: CourseSpec, title: str) -> str:
    return next(a.page for s in spec.sections for a in s.activities if a.title == title)


def seed_catalog(organizations: Organizations, admin: Any, stdout: Output) -> int:
    """Northwind Health's categories and courses; returns the rows created (0 when they all exist)."""
    organization = organizations.get(ORGANIZATION)
    if organization is None:
        return 0
    seeder = _Seeder(organization)
    missing = [
        spec for spec in COURSES if not Course.objects.filter(organization=organization, title=spec.title).exists()
    ]
    categories = seeder.categories()
    if not missing:
        return seeder.created
    skills = seeder.skills()
    # Files stored for a course that then fails are deleted again (the rows roll back with the transaction).
    with uploads.rollback_guard(), transaction.atomic():
        for spec in missing:
            seeder.course(spec, categories, skills)
    courses = Course.objects.filter(organization=organization)
    stdout.write(
        f"{organization.name}: {courses.count()} courses "
        f"({courses.filter(published_version__isnull=False).count()} published, "
        f"{courses.filter(review_state=Course.ReviewState.IN_REVIEW).count()} in review)"
    )
    return seeder.created


def reset_catalog(organizations: Organizations) -> None:
    """Delete the demo organisations' courses and skills before the organisations go.

    The organisation's cascade cannot do it alone: a course protects its audience, and a skill its parent. Stored
    files are deleted once the transaction commits.
    """
    for organization in organizations.values():
        files = list(CourseAsset.objects.filter(organization=organization).values_list("file", flat=True))
        Course.objects.filter(organization=organization).update(published_version=None, cover=None)
        Course.objects.filter(organization=organization).delete()
        # Deepest skills first: each one protects its parent.
        for skill in Skill.objects.filter(organization=organization).order_by(Length("path").desc()):
            skill.delete()
        transaction.on_commit(functools.partial(_delete_files, files))


def _delete_files(names: list[str]) -> None:
    for name in set(names):
        if name and not CourseAsset.objects.filter(file=name).exists():
            default_storage.delete(name)


def register_demo() -> None:
    demo.register("catalog", seed_catalog, reset=reset_catalog)
