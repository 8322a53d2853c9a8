"""Every kind's author form, sent back with an error, shows what the author typed: nothing has to be typed twice,
and a file (which no browser keeps) is asked for again in so many words."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from syllabus.catalog import services
from syllabus.catalog.activity_kinds import base
from syllabus.catalog.activity_kinds.video import kind as video_kind
from syllabus.catalog.models import Activity, Course, Section
from tests.catalog.kinds.builders import upload
from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(world: World) -> Course:
    course = services.course_create(organization=world.org, by=world.instructor.user, title="Fire safety")
    services.section_create(course=course, by=world.instructor.user, title="Basics")
    return course


@pytest.fixture
def author(client: Client, world: World) -> Client:
    client.force_login(world.instructor.user)
    return client


def new_activity_url(course: Course) -> str:
    section = Section.objects.get(course=course)
    return reverse("catalog:activity-new", args=[course.pk, section.pk])


def value_of(html: str, element_id: str) -> str:
    """The value an <input> or <textarea> of the page shows, unescaped."""
    tag = re.search(rf'<input[^>]*\bid="{element_id}"[^>]*>', html)
    if tag is not None:
        value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
        return unescape(value.group(1)) if value else ""
    area = re.search(rf'<textarea[^>]*\bid="{element_id}"[^>]*>(.*?)</textarea>', html, re.S)
    assert area is not None, f"no field {element_id}"
    return unescape(area.group(1)).strip()


def is_checked(html: str, element_id: str) -> bool:
    tag = re.search(rf'<input[^>]*\bid="{element_id}"[^>]*>', html)
    assert tag is not None, f"no field {element_id}"
    return " checked" in tag.group(0)


# An empty title makes the form come back before the kind even looks at its fields.
TYPED: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "page": ({"body": "<p>Typed <strong>words</strong></p>"}, {"id_body": "<p>Typed <strong>words</strong></p>"}),
    "link": (
        {"url": "https://guidance.example.org/fire", "display": "new_tab", "description": "The national rules."},
        {"id_url": "https://guidance.example.org/fire", "id_description": "The national rules."},
    ),
    "acknowledgement": (
        {"body": "<p>Never block a fire door.</p>", "statement": "I will keep fire doors clear."},
        {"id_body": "<p>Never block a fire door.</p>", "id_statement": "I will keep fire doors clear."},
    ),
    "file": ({"description": "Where the exits are."}, {"id_description": "Where the exits are."}),
    "video": (
        {
            "source": "url",
            "video_url": "https://media.example.org/induction.mp4",
            "captions_language": "pt-BR",
            "captions_label": "Português",
            "transcript": "Welcome to the site.",
        },
        {
            "id_video_url": "https://media.example.org/induction.mp4",
            "id_captions_language": "pt-BR",
            "id_captions_label": "Português",
            "id_transcript": "Welcome to the site.",
        },
    ),
    "quiz": (
        {"quiz_form": "1", "time_limit_minutes": "25", "attempts_allowed": "2", "pass_mark": "70"},
        {"id_time_limit_minutes": "25", "id_attempts_allowed": "2", "id_pass_mark": "70"},
    ),
    "assignment": (
        {"assignment_form": "1", "submission_text": "on", "word_limit": "500", "max_points": "40", "pass_mark": "50"},
        {"id_word_limit": "500", "id_max_points": "40", "id_pass_mark": "50"},
    ),
}


def test_every_registered_kind_is_checked_here() -> None:
    assert {kind.key for kind in base.all_kinds()} <= set(TYPED)


@pytest.mark.parametrize("key", sorted(TYPED))
def test_a_form_sent_back_with_an_error_shows_what_the_author_typed(author: Client, course: Course, key: str) -> None:
    sent, shown = TYPED[key]
    response = author.post(new_activity_url(course), {"kind": key, "title": "", "duration_minutes": "0", **sent})
    html = response.content.decode()
    assert response.status_code in (200, 400) and "aria-invalid" in html
    for element_id, value in shown.items():
        assert value_of(html, element_id) == value, element_id
    assert not Activity.objects.filter(course=course).exists()


def test_the_video_form_keeps_the_captions_language_and_label_after_a_refused_captions_file(
    author: Client, course: Course
) -> None:
    typed = {"kind": "video", "title": "Induction", "duration_minutes": "0", "source": "upload"}
    captions = {"captions_language": "pt-BR", "captions_label": "Português"}
    response = author.post(
        new_activity_url(course),
        {**typed, **captions, "video": upload("clip.webm"), "captions_file": upload("captions_backwards.vtt")},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert value_of(html, "id_captions_language") == "pt-BR"
    assert value_of(html, "id_captions_label") == "Português"
    assert video_kind.CAPTIONS_LANGUAGE_INVALID not in html
    # The valid video is not kept (neither is the refused captions file): the page says to choose it again.
    assert video_kind.VIDEO_AGAIN in unescape(html)
    assert "line 6" in html and video_kind.CAPTIONS_AGAIN not in unescape(html)
    assert 'id="id_video" accept="video/mp4,video/webm" aria-describedby="id_video_helptext id_video_error"' in html

    # Choosing the two files again is all it takes: language and label came back filled in.
    again = author.post(
        new_activity_url(course),
        {**typed, **captions, "video": upload("clip.webm"), "captions_file": upload("captions.vtt")},
    )
    assert again.status_code == 302
    activity = Activity.objects.get(course=course, title="Induction")
    assert [(item["language"], item["label"]) for item in activity.config["captions"]] == [("pt-BR", "Português")]


def test_a_refused_video_address_is_shown_again_as_typed(author: Client, course: Course) -> None:
    response = author.post(
        new_activity_url(course),
        {"kind": "video", "title": "Induction", "duration_minutes": "0", "source": "url",
         "video_url": "ftp://media.example.org/induction.mp4"},
    )  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 400
    assert value_of(html, "id_video_url") == "ftp://media.example.org/induction.mp4"
    assert re.search(r'<input type="radio" name="source" id="id_source_1" value="url" checked>', html)


def test_an_unticked_box_stays_unticked_when_the_form_comes_back(author: Client, course: Course, world: World) -> None:
    section = Section.objects.get(course=course)
    document = services.activity_create(
        section=section,
        by=world.instructor.user,
        kind="file",
        title="Policy PDF",
        data={"download_only": "on"},
        files={"document": upload("policy.pdf")},
    )
    edit = reverse("catalog:activity-edit", args=[course.pk, document.pk])
    assert is_checked(author.get(edit).content.decode(), "id_download_only")
    response = author.post(edit, {"title": "", "duration_minutes": "0", "description": "Read it."})
    html = response.content.decode()
    assert not is_checked(html, "id_download_only")
    assert value_of(html, "id_description") == "Read it."


def test_typed_rich_text_goes_back_into_the_editor_sanitised(author: Client, course: Course) -> None:
    response = author.post(
        new_activity_url(course),
        {"kind": "page", "title": "", "duration_minutes": "0",
         "body": '<p onclick="steal()">Hello</p><script>alert(1)</script>'},
    )  # fmt: skip
    assert value_of(response.content.decode(), "id_body") == "<p>Hello</p>"


def test_a_file_sent_with_a_form_that_failed_is_asked_for_again(author: Client, course: Course) -> None:
    response = author.post(
        new_activity_url(course),
        {"kind": "file", "title": "", "duration_minutes": "0", "document": upload("policy.pdf")},
    )
    assert base.FILE_AGAIN in unescape(response.content.decode())


def test_the_form_on_first_view_asks_for_nothing_again(author: Client, course: Course) -> None:
    response = author.get(new_activity_url(course), {"kind": "video"})
    html: Any = unescape(response.content.decode())
    assert video_kind.VIDEO_AGAIN not in html and value_of(html, "id_captions_language") == ""
