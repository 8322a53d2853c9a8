"""The File kind: a document of the course; PDFs shown in the page, the rest downloaded; complete when opened."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from syllabus.catalog import services
from syllabus.catalog.activity_kinds import base
from syllabus.catalog.activity_kinds.file import kind as file_kind
from syllabus.catalog.models import Course
from tests.catalog.kinds.builders import upload
from tests.conftest import World

pytestmark = pytest.mark.django_db
kind = base.get("file")


@pytest.fixture
def course(world: World) -> Course:
    return services.course_create(organization=world.org, by=world.instructor.user, title="Fire safety")


def clean(course: Course, world: World, data: dict[str, object], files: dict[str, object] | None = None,
          current: dict[str, object] | None = None) -> dict[str, object]:  # fmt: skip
    context = base.AuthorContext(course=course, by=world.instructor.user, current=current or {})
    return kind.clean(data=data, files=files or {}, context=context)


def learner_context(course: Course) -> base.LearnerContext:
    return base.LearnerContext(
        request=RequestFactory().get("/"), course=course, version_id=1, activity={}, signal_url="",
        asset_url=lambda asset_id: f"/courses/{course.pk}/assets/{asset_id}/f",
    )  # fmt: skip


def test_a_pdf_is_shown_in_the_page_and_counts_as_opened_on_open(course: Course, world: World) -> None:
    config = clean(course, world, {"description": "Read all of it."}, {"document": upload("policy.pdf")})
    assert config["content_type"] == "application/pdf" and config["name"] == "policy.pdf"
    assert config["download_only"] is False and config["description"] == "Read all of it."
    assert kind.signals_on_open(config) == ("opened",)
    assert kind.open_target(config=config, context=learner_context(course)) == (
        f"/courses/{course.pk}/assets/{config['asset_id']}/f?download=1"
    )


def test_other_documents_are_opened_by_downloading_them(course: Course, world: World) -> None:
    config = clean(course, world, {}, {"document": upload("roster.csv")})
    assert config["content_type"] == "text/csv"
    assert kind.signals_on_open(config) == ()


def test_a_pdf_may_be_offered_as_a_download_only(course: Course, world: World) -> None:
    config = clean(course, world, {"download_only": "on"}, {"document": upload("policy.pdf")})
    assert kind.signals_on_open(config) == ()


def test_editing_without_a_new_file_keeps_the_document(course: Course, world: World) -> None:
    first = clean(course, world, {}, {"document": upload("policy.pdf")})
    second = clean(course, world, {"description": "New words"}, current=first)
    assert second["asset_id"] == first["asset_id"] and second["description"] == "New words"


@pytest.mark.parametrize(
    ("data", "files", "field", "message"),
    [
        ({}, {}, "document", file_kind.DOCUMENT_REQUIRED),
        ({}, {"document": upload("page_named.pdf")}, "document", "page_named.pdf contains HTML, which cannot be "
                                                                  "uploaded (it could run scripts)."),
        ({"description": "x" * 5001}, {"document": upload("policy.pdf")}, "description",
         file_kind.DESCRIPTION_TOO_LONG.format(limit="5,000")),
    ],
)  # fmt: skip
def test_bad_input_names_the_field(
    course: Course, world: World, data: dict[str, object], files: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        clean(course, world, data, files)
    assert caught.value.message_dict == {field: [message]}


def test_search_describe_assets_and_copy() -> None:
    config = {"asset_id": 7, "name": "policy.pdf", "content_type": "application/pdf", "description": "The rules."}
    assert kind.search_text(config) == "policy.pdf\nThe rules."
    assert kind.describe(config)["Document"] == "policy.pdf"
    assert kind.asset_ids(config) == [7]
    assert kind.copy_config(config, {7: 70})["asset_id"] == 70
    assert kind.clean_completion(None) == {"rule": "opened"}
