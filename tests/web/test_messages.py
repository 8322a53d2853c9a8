"""The outcome of an action (a POST and its redirect) reaches keyboard and screen reader users: success as a status,
errors as an alert, in a box that can take the focus (syllabus.js focuses it once the page loads)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from syllabus.progress import services as progress_services
from tests.conftest import World
from tests.factories import CourseFactory, staff

pytestmark = pytest.mark.django_db


def test_a_success_is_a_status_in_a_focusable_box(world: World, client: Any) -> None:
    course = CourseFactory(organization=world.org, title="Fire safety")
    staff(course, world.instructor, "owner")
    client.force_login(world.instructor.user)
    data = {"self_enrollment": "open", "capacity": "", "opens_at": "", "closes_at": "", "enrollment_key": ""}
    response = client.post(reverse("enrollment:options", args=[course.pk]), data, follow=True)
    body = response.content.decode()
    assert re.search(
        r'<div class="messages" tabindex="-1" data-messages>\s*<p class="message message-success" '
        r'role="status">The enrollment options were saved.</p>',
        body,
    )


def test_an_error_is_an_alert(world: World, client: Any) -> None:
    import datetime as dt

    record = progress_services.external_submit(
        membership=world.report,
        by=world.report.user,
        title="First aid",
        provider="Red Cross",
        completed_on=dt.date(2025, 1, 10),
        hours=None,
        score=None,
        description="",
        evidence=None,
    )
    client.force_login(world.manager.user)
    decide = reverse("progress:external-decide", args=[record.pk])
    response = client.post(decide, {"action": "decline", "reason": ""}, follow=True)
    body = response.content.decode()
    assert re.search(r'<p class="message message-error" role="alert">“First aid” was not declined: ', body)


def test_pages_without_a_message_have_no_box_to_focus(world: World, client: Any) -> None:
    client.force_login(world.learner.user)
    assert "data-messages" not in client.get(reverse("progress:dashboard")).content.decode()
