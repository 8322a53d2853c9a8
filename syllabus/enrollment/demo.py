"""The enrollment app's part of `manage.py seed_demo`: who at Northwind Health is enrolled in what, and how.

Made through `enrollment.services` by the people who would do it, so permissions, seats, audit and events apply:

- Amara Osei (org admin) assigns the induction course to everyone, sets up a course that needs approval
  ("Giving and receiving feedback") and one with six places and a waiting list (basic life support), and
  attaches the "Clinical staff" audience to the clinical fire safety course, due 30 days after enrollment.
- Managers assign training to their teams: Amelia Hughes (Cardiology: Chloe Adams' manager), Tomasz Kowalski
  (Emergency) and Grace Mensah (Nursing). Some of it is now overdue.
- People enroll themselves and ask for places: one request approved, one declined, Chloe's still waiting
  for Amelia and Harriet's for Grace.
- Sophie Turner keeps the induction course's participants in site groups and has written to the basic life
  support participants.

The services only know "now", so rows meant to have happened earlier (assigned six weeks ago, due last week,
a message sent on Monday) are created first and their dates moved back with a plain UPDATE afterwards. The
progress app's demo step (`syllabus.progress.demo`, run next) adds activity progress and completions.

Notifications come from the real flows once the seed commits (`enrollment.notifying`): the requests still
waiting reach Amelia, Grace and the course team, the decided ones reach their requesters, and people hear of the
training assigned to them that they have not completed (Chloe: information governance, clinical fire safety).
Approvers hear nothing of requests decided within the seed, and nobody of training completed since. Those
notifications are sent after the seed commits, so they are dated "now"; a last step, also after commit, dates each
one back to its occasion (the request, the assignment, the decision), so the notification centre reads like real
history. Training whose due date has passed by the time of the seed is told as overdue.

Idempotent: enrollments are looked up by person and course, options and rules by course, groups by name,
messages by subject; only what is missing is made, and a notification is never sent twice (dedupe keys).
Registered in EnrollmentConfig.ready().
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from syllabus.accounts.models import Membership, Organization, User
from syllabus.audiences import services as audience_services
from syllabus.audiences.models import Audience
from syllabus.catalog.models import Course
from syllabus.core import clock, demo
from syllabus.core.demo import Organizations, Output
from syllabus.enrollment import services
from syllabus.enrollment.models import (
    LIVE_STATES,
    CourseGroup,
    CourseMessage,
    Enrollment,
    EnrollmentOptions,
    EnrollmentRule,
    Method,
    SelfEnrollment,
    Status,
)
from syllabus.notifications.models import Notification

ORGANIZATION = "northwind"


def _email(name: str) -> str:
    return f"{name}@northwind.example"


AMARA = _email("amara.osei")  # org admin
SOPHIE = _email("sophie.turner")  # instructor, owns the induction and basic life support courses
AMELIA = _email("amelia.hughes")  # Head of Cardiology, Chloe's manager
TOMASZ = _email("tomasz.kowalski")  # Head of Emergency
GRACE = _email("grace.mensah")  # Head of Nursing
CHLOE = _email("chloe.adams")  # the demo learner

CARDIOLOGY = tuple(_email(n) for n in ("rajesh.iyer", "chloe.adams", "ethan.brooks", "zara.ahmed"))
EMERGENCY = tuple(_email(n) for n in ("lucy.fernandes", "jack.thompson", "megan.walsh", "kwame.asante"))
NURSING = tuple(
    _email(n) for n in ("isabella.rossi", "noah.campbell", "aaliyah.johnson", "harriet.price", "mohammed.khan")
)

# Course titles of the catalog's demo (syllabus.catalog.demo.courses).
WELCOME = "Welcome to Northwind Health"
HAND_HYGIENE = "Hand hygiene essentials"
FIRE_SAFETY = "Fire safety for clinical areas"
INFORMATION_GOVERNANCE = "Information governance and data protection"
SAFEGUARDING = "Safeguarding adults level 1"
LIFE_SUPPORT = "Basic life support: adult awareness"
FEEDBACK = "Giving and receiving feedback"

CLINICAL_STAFF = "Clinical staff"  # the audiences demo's audience
RULE_DUE_DAYS = 30
LIFE_SUPPORT_PLACES = 6
# The induction course was rolled out to everyone this long ago (the progress demo completes it since then).
WELCOME_ROLLED_OUT_DAYS = 400


@dataclass(frozen=True)
class TeamAssignment:
    """A manager assigns a course to people of their team, `days_ago`, due `due_days` after that (None: no date)."""

    by: str
    course: str
    people: tuple[str, ...]
    days_ago: int
    due_days: int | None


ASSIGNMENTS: tuple[TeamAssignment, ...] = (
    # Last year's hand hygiene round in Cardiology (Rajesh's completion has expired since; see the progress demo).
    # Chloe joined the ward after it: the catalog recommends the course to her.
    TeamAssignment(AMELIA, HAND_HYGIENE, (CARDIOLOGY[0], CARDIOLOGY[3]), 430, None),
    # Information governance, due last week: Chloe and Ethan have not finished it, Zara neither.
    TeamAssignment(AMELIA, INFORMATION_GOVERNANCE, CARDIOLOGY, 40, 33),
    # Emergency's hand hygiene round, due next week.
    TeamAssignment(TOMASZ, HAND_HYGIENE, EMERGENCY, 12, 21),
    # Safeguarding for Nursing, due three days ago.
    TeamAssignment(GRACE, SAFEGUARDING, NURSING, 33, 30),
)

# People who enrolled themselves: (email, course, days ago). Basic life support has six places: the first six get
# one (Megan and Chloe took earlier sessions and have completed it since, holding their places), the last three wait.
SELF_ENROLLMENTS: tuple[tuple[str, str, int], ...] = (
    (_email("megan.walsh"), LIFE_SUPPORT, 210),
    (CHLOE, LIFE_SUPPORT, 100),
    (_email("rajesh.iyer"), LIFE_SUPPORT, 20),
    (_email("zara.ahmed"), LIFE_SUPPORT, 18),
    (_email("lucy.fernandes"), LIFE_SUPPORT, 15),
    (_email("jack.thompson"), LIFE_SUPPORT, 12),
    (_email("kwame.asante"), LIFE_SUPPORT, 9),
    (_email("noah.campbell"), LIFE_SUPPORT, 6),
    (_email("harriet.price"), LIFE_SUPPORT, 4),
    (CHLOE, SAFEGUARDING, 9),
)

FEEDBACK_REQUESTS: tuple[tuple[str, str, int, str | None, str], ...] = (
    # (who asks, their note, days ago, who decides (None: still waiting), the decision: "approve" or a reason)
    (
        _email("isabella.rossi"),
        "I have just become a ward sister and run appraisals for the first time next month.",
        21,
        GRACE,
        "approve",
    ),
    (
        _email("noah.campbell"),
        "I'd like to get better at giving feedback to students on placement.",
        14,
        GRACE,
        "This course is for people who manage staff. The preceptorship programme covers feedback to students: "
        "let's book you on the next one.",
    ),
    (
        CHLOE,
        "I have started mentoring our two new starters on the ward and would like to give them better feedback.",
        2,
        None,
        "",
    ),
    (
        _email("harriet.price"),
        "I lead the night shift from next month and will run the team's check-ins.",
        1,
        None,
        "",
    ),
)

# The dedupe keys of enrollment's notifications (`enrollment.notifying`): "enrollment:<id>:<occasion>".
OCCASION_KEY = re.compile(r"enrollment:(?P<pk>\d+):(?P<occasion>\w+)")

# Sophie keeps the induction course's participants in one group per site (by their work location).
WELCOME_GROUPS = ("London", "Manchester", "Leeds")

SESSION_DAYS = 30  # the current basic life support session's people enrolled within this many days
MESSAGE_SUBJECT = "Your practical session: Thursday, 10:00, Clinical Skills Lab"
MESSAGE_BODY = (
    "Hello everyone,\n\n"
    "The hands-on part of basic life support is this Thursday at 10:00 in the Clinical Skills Lab (ground floor, "
    "main building). Please finish the online sections before then and wear something you can kneel in.\n\n"
    "If you can no longer come, leave the course so the next person on the waiting list gets your place.\n\n"
    "Sophie"
)


class _Seeder:
    def __init__(self, organization: Organization) -> None:
        self.organization = organization
        self.created = 0
        self.now = clock.now()
        self.people = {
            m.user.email: m
            for m in Membership.objects.filter(organization=organization, is_active=True).select_related(
                "user", "location"
            )
        }
        self.courses = {
            c.title: c
            for c in Course.objects.filter(organization=organization, published_version__isnull=False).select_related(
                "organization"
            )
        }

    def user(self, email: str) -> User:
        return self.people[email].user

    def ago(self, days: int) -> dt.datetime:
        return self.now - dt.timedelta(days=days)

    def has(self, *titles: str) -> bool:
        return all(title in self.courses for title in titles)

    def live(self, email: str, title: str) -> Enrollment | None:
        return Enrollment.objects.filter(
            membership=self.people[email], course=self.courses[title], status__in=LIVE_STATES
        ).first()

    def backdate(self, ids: Iterable[int], *, days_ago: int, due_days: int | None = None) -> None:
        """Move freshly made enrollments back to when the story says they happened."""
        ids = list(ids)
        when = self.ago(days_ago)
        rows = Enrollment.objects.filter(pk__in=ids)
        rows.update(created_at=when, status_changed_at=when)
        rows.filter(status=Status.ACTIVE).update(enrolled_at=when)
        if due_days is not None:
            rows.update(due_at=when + dt.timedelta(days=due_days))

    # --- the story ------------------------------------------------------------------------------------------------

    def options(self) -> None:
        wanted = (
            (FEEDBACK, {"self_enrollment": SelfEnrollment.APPROVAL}),
            (LIFE_SUPPORT, {"capacity": LIFE_SUPPORT_PLACES, "waitlist": True}),
        )
        for title, fields in wanted:
            if self.has(title) and not EnrollmentOptions.objects.filter(course=self.courses[title]).exists():
                services.options_update(course=self.courses[title], by=self.user(AMARA), **fields)
                self.created += 1

    def welcome(self) -> None:
        """Everyone is assigned the induction course (in one set-based operation, like an administrator would)."""
        if not self.has(WELCOME):
            return
        result = services.enrollments_bulk_create(
            course=self.courses[WELCOME],
            memberships=list(self.people.values()),
            by=self.user(AMARA),
            method=Method.ADMIN,
        )
        self.backdate(result.created, days_ago=WELCOME_ROLLED_OUT_DAYS)
        self.created += len(result.created)

    def assignments(self) -> None:
        for assignment in ASSIGNMENTS:
            if not self.has(assignment.course):
                continue
            result = services.enrollments_bulk_create(
                course=self.courses[assignment.course],
                memberships=[self.people[email] for email in assignment.people if email in self.people],
                by=self.user(assignment.by),
                method=Method.MANAGER,
            )
            self.backdate(result.created, days_ago=assignment.days_ago, due_days=assignment.due_days)
            self.created += len(result.created)

    def self_enrollments(self) -> None:
        for email, title, days_ago in SELF_ENROLLMENTS:
            if not self.has(title) or email not in self.people or self.live(email, title) is not None:
                continue
            enrollment = services.enrollment_self(course=self.courses[title], by=self.user(email))
            self.backdate([enrollment.pk], days_ago=days_ago)
            self.created += 1

    def requests(self) -> None:
        if not self.has(FEEDBACK):
            return
        course = self.courses[FEEDBACK]
        for email, note, days_ago, decider, decision in FEEDBACK_REQUESTS:
            if Enrollment.objects.filter(membership=self.people[email], course=course).exists():
                continue  # asked already (whatever came of it)
            enrollment = services.enrollment_self(course=course, by=self.user(email), note=note)
            self.created += 1
            self.backdate([enrollment.pk], days_ago=days_ago)
            if decider is None:
                continue
            if decision == "approve":
                services.enrollment_approve(enrollment=enrollment, by=self.user(decider))
            else:
                services.enrollment_decline(enrollment=enrollment, by=self.user(decider), reason=decision)
            # Decided the day after they asked.
            decided = Enrollment.objects.filter(pk=enrollment.pk)
            decided.update(decided_at=self.ago(days_ago - 1), status_changed_at=self.ago(days_ago - 1))
            decided.filter(status=Status.ACTIVE).update(enrolled_at=self.ago(days_ago - 1))

    def audience_rule(self) -> None:
        """Clinical staff are enrolled in the clinical fire safety course, due 30 days after they are enrolled."""
        audience = Audience.objects.filter(organization=self.organization, name=CLINICAL_STAFF).first()
        if audience is None or not self.has(FIRE_SAFETY):
            return
        course = self.courses[FIRE_SAFETY]
        rule = EnrollmentRule.objects.filter(course=course, audience=audience).first()
        if rule is None:
            if audience.last_recomputed_at is None:
                # The audiences step made the audience in this same transaction: its members are computed after
                # commit. Compute them now (the later recompute then finds nothing to change) so the rule enrolls
                # people during the seed rather than whenever the worker gets to it.
                audience_services.audience_recompute(audience=audience)
            rule = services.rule_create(
                course=course,
                audience=audience,
                by=self.user(AMARA),
                due_from=EnrollmentRule.DueFrom.ENROLLMENT,
                due_days=RULE_DUE_DAYS,
            )
            self.created += 1
        # Also queued after commit by rule_create; applying it now is idempotent and makes the demo whole at once.
        self.created += len(services.rule_apply(rule=rule).created)

    def groups(self) -> None:
        if not self.has(WELCOME):
            return
        course = self.courses[WELCOME]
        existing = set(CourseGroup.objects.filter(course=course).values_list("name", flat=True))
        by = self.user(SOPHIE)
        for site in WELCOME_GROUPS:
            if site in existing:
                continue
            group = services.group_create(
                course=course, by=by, name=site, description=f"Everyone who works at our {site} site."
            )
            members = Enrollment.objects.filter(
                course=course, status__in=LIVE_STATES, membership__location__name=site
            ).values_list("pk", flat=True)
            added, _removed = services.group_members_change(group=group, by=by, add=list(members))
            self.created += 1 + added

    def message(self) -> None:
        """A message Sophie sent earlier this week. Written as a row, not through `course_message_send`: that
        would email the demo people again on every fresh seed."""
        if not self.has(LIFE_SUPPORT):
            return
        course = self.courses[LIFE_SUPPORT]
        if CourseMessage.objects.filter(course=course, subject=MESSAGE_SUBJECT).exists():
            return
        # This session's participants: the people who took a place in the last weeks (not Chloe, who enrolled
        # for an earlier session and has completed the course since).
        recipients = list(
            Enrollment.objects.filter(
                course=course, status=Status.ACTIVE, enrolled_at__gte=self.ago(SESSION_DAYS)
            ).values_list("membership_id", flat=True)
        )
        message = CourseMessage.objects.create(
            organization=self.organization,
            course=course,
            sender=self.user(SOPHIE),
            subject=MESSAGE_SUBJECT,
            body=MESSAGE_BODY,
            recipient_count=len(recipients),
        )
        message.recipients.set(recipients)
        CourseMessage.objects.filter(pk=message.pk).update(created_at=self.ago(3))
        self.created += 1


def seed_enrollment(organizations: Organizations, admin: Any, stdout: Output) -> int:
    """Northwind Health's enrollments, options, rule, groups and message; returns the rows created."""
    organization = organizations.get(ORGANIZATION)
    if organization is None:
        return 0
    seeder = _Seeder(organization)
    if not seeder.courses:
        return 0
    seeder.options()
    seeder.welcome()
    seeder.assignments()
    seeder.self_enrollments()
    seeder.requests()
    seeder.audience_rule()
    seeder.groups()
    seeder.message()
    live = Enrollment.objects.filter(organization=organization, status__in=LIVE_STATES)
    stdout.write(
        f"{organization.name}: {live.count()} enrollments "
        f"({live.filter(status=Status.PENDING).count()} waiting for approval, "
        f"{live.filter(status=Status.WAITLISTED).count()} on a waiting list), "
        f"{EnrollmentRule.objects.filter(organization=organization).count()} audience rule"
    )
    # After the notifications of the seed's events: those handlers were queued on commit before this one.
    transaction.on_commit(functools.partial(date_notifications, organization.pk, seeder.now))
    return seeder.created


def date_notifications(organization_id: int, since: dt.datetime) -> int:
    """Date the enrollment notifications sent since `since` back to their occasion: the request or the assignment
    (when the enrollment was made), the decision, the place given. One read of each table and one UPDATE;
    notifications of earlier seeds are older than `since` and left alone. Returns how many were dated."""
    fresh: list[tuple[Notification, int, str]] = []
    for notification in Notification.objects.filter(
        organization_id=organization_id, dedupe_key__startswith="enrollment:", created_at__gte=since
    ).only("pk", "dedupe_key", "created_at"):
        match = OCCASION_KEY.fullmatch(notification.dedupe_key)
        if match:
            fresh.append((notification, int(match["pk"]), match["occasion"]))
    moments = {
        pk: {"decided": decided_at or created_at, "promoted": enrolled_at or created_at, "": created_at}
        for pk, created_at, decided_at, enrolled_at in Enrollment.objects.filter(
            pk__in={pk for _n, pk, _o in fresh}
        ).values_list("pk", "created_at", "decided_at", "enrolled_at")
    }
    dated = []
    for notification, pk, occasion in fresh:
        if pk in moments:
            notification.created_at = moments[pk].get(occasion, moments[pk][""])
            dated.append(notification)
    Notification.objects.bulk_update(dated, ["created_at"])
    return len(dated)


def register_demo() -> None:
    demo.register("enrollment", seed_enrollment)
