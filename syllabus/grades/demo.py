"""The gradebook's part of `manage.py seed_demo` (after the assessment step): the gradebook of Northwind's "Safety
assessments" set up as its team would, so the gradebook, the learner's "Grades" page and the letters have something
true to show.

Through the grades services, by the people who would do it:

- Amara Osei (org admin) adds the letter scale "Northwind letters" (A from 90 %, B 80, C 70, D 60, F 0), the
  organisation's default.
- Marcus Reid (the course's owner) sets the gradebook up: grades shown as percentages, a course pass mark of 60 %,
  the categories "Quizzes" (weight 60) and "Assignments" (weight 40) with the two quizzes and the incident report in
  them, and a manual item "Fire drill (practical)" in Assignments, where he enters the learners' drill marks with
  feedback. He overrides one grade with a reason: Kwame's clinical safety quiz, marked on paper after a ward
  emergency cut his attempt short.

The grade items of the activities come from the published version (`items_sync`, what the gradebook does when
the version is published; called here because the publication's event is dispatched only when the seed commits).
The quiz and assignment grades themselves arrive the same way, from the activities' signals, on commit.

Idempotent: the scale and categories are looked up by name, the manual item by name, an entry is made only where
the person has no grade for the item, the override only where none is set; an item is put in a category only while
it has none.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from syllabus.accounts.models import Membership, User
from syllabus.catalog.models import Course
from syllabus.core import demo
from syllabus.core.demo import Organizations, Output
from syllabus.enrollment.models import LIVE_STATES, Enrollment
from syllabus.grades import services
from syllabus.grades.models import Display, Grade, GradebookSettings, GradeCategory, GradeItem, ItemSource, LetterScale

ORGANIZATION = "northwind"
COURSE = "Safety assessments"  # the assessment demo's course
AMARA = "amara.osei@northwind.example"
MARCUS = "marcus.reid@northwind.example"
KWAME = "kwame.asante@northwind.example"

SCALE = "Northwind letters"
BANDS = [
    {"letter": "A", "min": "90"},
    {"letter": "B", "min": "80"},
    {"letter": "C", "min": "70"},
    {"letter": "D", "min": "60"},
    {"letter": "F", "min": "0"},
]
PASS_MARK = Decimal(60)
QUIZZES, ASSIGNMENTS = "Quizzes", "Assignments"
CATEGORIES = ((QUIZZES, Decimal(60)), (ASSIGNMENTS, Decimal(40)))
CATEGORY_OF_KIND = {"quiz": QUIZZES, "assignment": ASSIGNMENTS}
DRILL = "Fire drill (practical)"

# The fire drill marks Marcus entered (percent, feedback), by learner.
DRILL_MARKS: dict[str, tuple[str, str]] = {
    "chloe.adams@northwind.example": ("90", "Calm and quick: patients out of the bay in under three minutes."),
    "rajesh.iyer@northwind.example": ("75", "Right order of actions; check the fire door closes behind you."),
    "zara.ahmed@northwind.example": ("95", "Led the horizontal evacuation and did the head count."),
    "lucy.fernandes@northwind.example": ("55", "Raised the alarm late: call point first, then the phone call."),
    "jack.thompson@northwind.example": ("80", "Good. Remember to report to the nurse in charge."),
    "megan.walsh@northwind.example": ("85", "Used the evacuation sledge correctly."),
    "kwame.asante@northwind.example": ("70", "Safe, but hesitated over the assembly point."),
    "harriet.price@northwind.example": ("65", "Join the next drill to practise the evacuation chair."),
}
OVERRIDE_PERCENT = Decimal(80)
OVERRIDE_REASON = (
    "A ward emergency cut Kwame's attempt short; he answered the same questions on paper with Marcus Reid on "
    "the next shift and scored 80 %."
)


class _Seeder:
    def __init__(self, organization: Any, course: Course) -> None:
        self.organization = organization
        self.course = course
        self.created = 0
        self.people = {
            m.user.email: m
            for m in Membership.objects.filter(organization=organization, is_active=True).select_related("user")
        }

    def user(self, email: str) -> User:
        return self.people[email].user

    def scale(self) -> None:
        if AMARA not in self.people or LetterScale.objects.filter(organization=self.organization, name=SCALE).exists():
            return
        services.letter_scale_create(
            by=self.user(AMARA), organization=self.organization, name=SCALE, bands=BANDS, is_default=True
        )
        self.created += 1

    def setup(self, marcus: User) -> dict[str, GradeCategory]:
        course = self.course
        if not GradebookSettings.objects.filter(course=course).exists():
            self.created += 1
        gradebook = services.settings_for(course)
        if gradebook.pass_mark is None:
            services.settings_update(by=marcus, course=course, display=Display.PERCENT, pass_mark=str(PASS_MARK))
        categories = {c.name: c for c in GradeCategory.objects.filter(course=course)}
        for name, weight in CATEGORIES:
            if name not in categories:
                categories[name] = services.category_create(by=marcus, course=course, name=name, weight=weight)
                self.created += 1
        items = services.items_sync(course=course)
        for item in items:
            wanted = CATEGORY_OF_KIND.get(item.kind)
            if item.source == ItemSource.ACTIVITY and item.category_id is None and wanted:
                services.item_update(by=marcus, item=item, category=categories[wanted])
        return categories

    def drill(self, marcus: User, category: GradeCategory) -> None:
        item = GradeItem.objects.filter(course=self.course, source=ItemSource.MANUAL, name=DRILL).first()
        if item is None:
            item = services.item_create(
                by=marcus, course=self.course, name=DRILL, max_points=Decimal(10), category=category
            )
            self.created += 1
        enrolled = set(
            Enrollment.objects.filter(course=self.course, status__in=LIVE_STATES).values_list(
                "membership__user__email", flat=True
            )
        )
        graded = set(Grade.objects.filter(item=item, raw__isnull=False).values_list("user__email", flat=True))
        for email, (percent, feedback) in DRILL_MARKS.items():
            if email in enrolled and email not in graded and email in self.people:
                services.grade_enter(by=marcus, item=item, user=self.user(email), percent=percent, feedback=feedback)
                self.created += 1

    def override(self, marcus: User) -> None:
        item = GradeItem.objects.filter(
            course=self.course, source=ItemSource.ACTIVITY, kind="quiz", name="Clinical safety quiz"
        ).first()
        if item is None or KWAME not in self.people:
            return
        kwame = self.user(KWAME)
        if not Enrollment.objects.filter(course=self.course, membership__user=kwame, status__in=LIVE_STATES).exists():
            return
        if Grade.objects.filter(item=item, user=kwame, override__isnull=False).exists():
            return
        services.grade_override(by=marcus, item=item, user=kwame, percent=OVERRIDE_PERCENT, reason=OVERRIDE_REASON)
        self.created += 1


def seed_grades(organizations: Organizations, admin: Any, stdout: Output) -> int:
    """Northwind's letter scale and the gradebook of "Safety assessments"; returns the rows created."""
    organization = organizations.get(ORGANIZATION)
    if organization is None:
        return 0
    course = Course.objects.filter(organization=organization, title=COURSE, published_version__isnull=False).first()
    seeder = _Seeder(organization, course) if course is not None else None
    if seeder is None or MARCUS not in seeder.people:
        return 0
    seeder.scale()
    marcus = seeder.user(MARCUS)
    categories = seeder.setup(marcus)
    seeder.drill(marcus, categories[ASSIGNMENTS])
    seeder.override(marcus)
    items = GradeItem.objects.filter(course=seeder.course)
    stdout.write(
        f"{organization.name}: the gradebook of {COURSE}: {items.count()} items in "
        f"{len(categories)} categories, letters “{SCALE}”"
    )
    return seeder.created


def register_demo() -> None:
    demo.register("grades", seed_grades)
