"""Attacks on the catalog found in the security review of issue #4, each written from the attacker's side."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from syllabus.catalog.activity_kinds.video import intervals as iv
from syllabus.catalog.activity_kinds.video.models import WatchProgress
from syllabus.catalog.models import CourseAsset
from syllabus.catalog.views_player import parse_range
from tests.catalog.kinds.builders import EveryKind, course_of_every_kind
from tests.catalog.learners import enroll
from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def every(world: World) -> EveryKind:
    """The course of every kind, with the learner enrolled (learners open activities only once enrolled)."""
    made = course_of_every_kind(world)
    enroll(made.course, world.learner)
    return made


def learner(client: Client, world: World) -> Client:
    client.force_login(world.learner.user)
    return client


def post_json(client: Client, url: str, payload: Any) -> Any:
    return client.post(url, json.dumps(payload), content_type="application/json")


# --- byte ranges -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "bytes=" + "9" * 5000 + "-",
        "bytes=0-" + "9" * 5000,
        "bytes=-" + "9" * 5000,
    ],
    ids=["huge-start", "huge-end", "huge-suffix"],
)
def test_a_range_header_with_a_huge_number_is_answered_not_a_server_error(
    client: Client, world: World, every: EveryKind, header: str
) -> None:
    """Python refuses to turn more than 4300 digits into an int (ValueError): that was a 500 for any learner."""
    asset_id = every.file.config["asset_id"]
    asset = CourseAsset.objects.get(pk=asset_id)
    url = reverse("catalog:asset", kwargs={"pk": every.course.pk, "asset_id": asset_id, "name": asset.original_name})
    response = learner(client, world).get(url, headers={"Range": header})
    assert response.status_code in (200, 206, 416)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=" + "9" * 5000 + "-", False),
        ("bytes=0-" + "9" * 5000, (0, 99)),
        ("bytes=-" + "9" * 5000, (0, 99)),
        ("bytes=00000000000000000000000000005-6", (5, 6)),
    ],
    ids=["huge-start", "huge-end", "huge-suffix", "leading-zeros"],
)
def test_long_numbers_in_a_range_keep_their_meaning(header: str, expected: Any) -> None:
    assert parse_range(header, 100) == expected


# --- video progress ------------------------------------------------------------------------------------------------


def test_a_learner_cannot_grow_their_stored_watch_intervals_without_bound(
    client: Client, world: World, every: EveryKind
) -> None:
    """Each report may hold 500 intervals; tiny disjoint ones, shifted a little each time, used to pile up in one
    row for ever (every later report sorts and rewrites all of them): a cheap way for a learner to load the server."""
    url = reverse("catalog:activity-signal", args=[every.course.pk, every.video.uid])
    # A long video whose length the server could not read (a direct URL, a WebM without a Duration): the player's
    # reported length is used. The uploaded fixture's real length (4 s) is dropped from the published snapshot.
    version = every.course.published_version
    snapshot = version.snapshot
    for section in snapshot["sections"]:
        for activity in section["activities"]:
            activity["config"].pop("duration", None)
    type(version).objects.filter(pk=version.pk).update(snapshot=snapshot)
    learner(client, world)
    for report in range(6):
        offset = report * 0.5
        pairs = [[k * 4 + offset, k * 4 + offset + 0.01] for k in range(iv.MAX_INTERVALS)]
        post_json(client, url, {"signal": "progress", "duration": 10_000.0, "intervals": pairs})
    progress = WatchProgress.objects.get(user=world.learner.user)
    assert len(progress.intervals) <= iv.MAX_STORED_INTERVALS
    # A refused report is answered as a client error, with the field at fault.
    pairs = [[k * 4 + 3.5, k * 4 + 3.51] for k in range(iv.MAX_INTERVALS)]
    answer = post_json(client, url, {"signal": "progress", "duration": 10_000.0, "intervals": pairs})
    assert answer.status_code == 400 and list(answer.json()["errors"]) == ["intervals"]


def test_ordinary_viewing_with_seeks_is_still_recorded(client: Client, world: World, every: EveryKind) -> None:
    url = reverse("catalog:activity-signal", args=[every.course.pk, every.video.uid])
    answer = post_json(
        learner(client, world), url, {"signal": "progress", "duration": 4.0, "intervals": [[0, 1], [2, 2.5]]}
    )
    assert answer.status_code == 200 and answer.json()["accepted"] is True
