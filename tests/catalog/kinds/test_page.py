"""The Page kind: sanitised rich text, completion on view."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from syllabus.catalog import services
from syllabus.catalog.activity_kinds import base
from syllabus.catalog.activity_kinds.page import kind as page_kind
from syllabus.catalog.models import Course, CourseAsset
from tests.catalog.kinds.builders import upload
from tests.conftest import World

pytestmark = pytest.mark.django_db
kind = base.get("page")


@pytest.fixture
def course(world: World) -> Course:
    return services.course_create(organization=world.org, by=world.instructor.user, title="Fire safety")


def clean(course: Course, world: World, data: dict[str, object]) -> dict[str, object]:
    return kind.clean(
        data=data, files={}, context=base.AuthorContext(course=course, by=world.instructor.user, current={})
    )


def test_the_body_is_stored_sanitised(course: Course, world: World) -> None:
    config = clean(course, world, {"body": '<p onclick="x">Exits <script>alert(1)</script>are green.</p>'})
    assert config == {"body": "<p>Exits are green.</p>"}


@pytest.mark.parametrize("body", ["", "   ", "<p> </p>", "<script>only script</script>"])
def test_an_empty_page_is_refused(course: Course, world: World, body: str) -> None:
    with pytest.raises(ValidationError) as caught:
        clean(course, world, {"body": body})
    assert caught.value.message_dict == {"body": [page_kind.BODY_REQUIRED]}


def test_a_huge_body_is_refused(course: Course, world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        clean(course, world, {"body": "<p>" + "a" * page_kind.BODY_MAX_LENGTH + "</p>"})
    assert "too long" in caught.value.message_dict["body"][0]


def test_completion_is_on_view_and_opening_produces_viewed() -> None:
    assert kind.clean_completion({}) == {"rule": "viewed"}
    assert kind.signals_on_open({"body": "<p>x</p>"}) == ("viewed",)
    with pytest.raises(ValidationError):
        kind.clean_completion({"rule": "watched"})


def test_search_describe_and_assets_read_the_body() -> None:
    src = reverse("catalog:asset", kwargs={"pk": 1, "asset_id": 42, "name": "map.png"})
    config = {"body": f'<h2>Exits</h2><p>Are <em>green</em>.</p><img src="{src}" alt="Map">'}
    assert kind.search_text(config) == "Exits\nAre green.\nMap"
    assert kind.describe(config) == {"Page text": "Exits\nAre green.\nMap"}
    assert kind.asset_ids(config) == [42]


def test_a_copied_page_shows_the_copies_of_its_images(course: Course, world: World) -> None:
    original = services.course_cover_set(course=course, by=world.instructor.user, upload=upload("pixel.png"))
    copy = services.course_create(organization=world.org, by=world.instructor.user, title="Copy")
    duplicate = CourseAsset.objects.create(
        organization=world.org, course=copy, purpose="image", file=original.file.name, original_name="pixel.png",
        content_type="image/png",
    )  # fmt: skip
    src = reverse("catalog:asset", kwargs={"pk": course.pk, "asset_id": original.pk, "name": "pixel.png"})
    copied = kind.copy_config({"body": f'<img src="{src}">'}, {original.pk: duplicate.pk})
    assert copied["body"] == (
        f'<img src="{reverse("catalog:asset", kwargs={"pk": copy.pk, "asset_id": duplicate.pk, "name": "pixel.png"})}">'
    )


def test_images_of_another_course_are_dropped_when_authoring(course: Course, world: World) -> None:
    other = reverse("catalog:asset", kwargs={"pk": course.pk + 1000, "asset_id": 1, "name": "x.png"})
    own = reverse("catalog:asset", kwargs={"pk": course.pk, "asset_id": 1, "name": "x.png"})
    config = clean(course, world, {"body": f'<p>x</p><img src="{other}"><img src="{own}">'})
    assert config["body"] == f'<p>x</p><img alt="" src="{own}">'
