"""Published courses for the catalog's search and browse tests, built with the factories and the publish service.

Activities use `TextKind` ("test_text"), a kind whose search text is its config's "text": the tests then depend on
the search machinery only, not on how a real kind extracts its text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest

from syllabus.catalog.activity_kinds import base as kinds
from syllabus.catalog.models import Category, Course, Tag
from tests.factories import ActivityFactory, CourseFactory, SectionFactory, publish

TEXT_KIND = "test_text"


class TextKind(kinds.ActivityKind):
    key = TEXT_KIND
    label = "Text"
    signals = ("viewed",)
    completion_rules = (kinds.CompletionRule("viewed", "Viewed", ("viewed",)),)

    def clean(self, *, data: Mapping[str, Any], files: Mapping[str, Any], context: Any) -> dict[str, Any]:
        return {"text": str(data.get("text", ""))}

    def render_learner(self, context: Any) -> Any:
        from django.utils.html import format_html

        return format_html("<p>{}</p>", context.activity.get("config", {}).get("text", ""))

    def search_text(self, config: Mapping[str, Any]) -> str:
        return str(config.get("text", ""))


@pytest.fixture
def text_kind() -> Iterator[None]:
    registered = kinds.is_registered(TEXT_KIND)
    kinds.register(TextKind())
    yield
    if not registered:
        kinds._KINDS.pop(TEXT_KIND, None)


def category(organization: Any, name: str) -> Category:
    return Category.objects.get_or_create(organization=organization, slug=name.lower(), defaults={"name": name})[0]


def published_course(
    organization: Any,
    by: Any,
    title: str,
    *,
    summary: str = "",
    description: str = "",
    tags: Sequence[str] = (),
    text: str = "",
    sections: Sequence[tuple[str, Sequence[str]]] = (),
    **fields: Any,
) -> Course:
    """A course published once: one section with one activity holding `text` (or the given outline)."""
    course = CourseFactory(organization=organization, title=title, summary=summary, description=description, **fields)
    if tags:
        course.tags.set([Tag.objects.get_or_create(organization=organization, name=name)[0] for name in tags])
    for section_title, activity_titles in sections or [("Section", ["Activity"])]:
        section = SectionFactory(course=course, title=section_title)
        for activity_title in activity_titles:
            ActivityFactory(section=section, kind=TEXT_KIND, title=activity_title, config={"text": text})
    publish(course, by=by)
    course.refresh_from_db()
    return course
