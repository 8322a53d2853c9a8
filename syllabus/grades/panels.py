"""Where the gradebook shows up on other apps' pages, through their extension points (never their files):

- the learner's dashboard (`web.panels.register_dashboard`): "My grades", a link per course they learn that has
  grade items, to `grades:mine`;
- the course team's header (`catalog.course_header.register_flags`): `can_view_gradebook`, which the header's
  "Gradebook" tab asks.

`connect()` registers both; GradesConfig.ready() calls it.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.template.loader import render_to_string

from syllabus.access.policy import Principal
from syllabus.accounts.models import Organization
from syllabus.catalog import course_header
from syllabus.catalog.models import Course
from syllabus.enrollment.models import LEARNING_STATES, Enrollment
from syllabus.grades import policy
from syllabus.grades.models import GradeItem

COURSES_SHOWN = 20


def dashboard_panel(request: HttpRequest, principal: Principal, organization: Organization) -> str:
    """The courses this person learns that have grades to look at (one query), "" when none."""
    if not principal.is_member or principal.membership is None:
        return ""
    learning = Enrollment.objects.filter(
        membership=principal.membership, course=OuterRef("pk"), status__in=LEARNING_STATES
    )
    graded = GradeItem.objects.filter(course=OuterRef("pk"), hidden=False, retired=False)
    courses = list(
        Course.objects.filter(organization=organization)
        .filter(Exists(learning), Exists(graded))
        .order_by("title", "pk")
        .values("pk", "title")[:COURSES_SHOWN]
    )
    if not courses:
        return ""
    return render_to_string("grades/panels/dashboard.html", {"courses": courses}, request=request)


def header_flags(principal: Principal, course: Course) -> dict[str, bool]:
    return {"can_view_gradebook": policy.can_view(principal, course)}


def connect() -> None:
    from syllabus.web import panels

    panels.register_dashboard("grades", dashboard_panel)
    course_header.register_flags(header_flags)
