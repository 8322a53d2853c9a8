"""The learner's activity player, its preview, completion signals and course files — from the attacker's side."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from syllabus.catalog import services
from syllabus.catalog.activity_kinds.acknowledgement.models import Acknowledgement
from syllabus.catalog.events import ActivitySignalled
from syllabus.catalog.models import CatalogSettings, CourseAsset
from syllabus.catalog.views_player import ASSET_CSP, parse_range
from syllabus.core import events as core_events
from syllabus.enrollment.models import Enrollment
from tests.catalog.kinds.builders import EveryKind, course_of_every_kind, fixture_bytes, upload
from tests.catalog.learners import enroll
from tests.conftest import World
from tests.factories import publish

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


@pytest.fixture
def signals() -> Iterator[list[ActivitySignalled]]:
    seen: list[ActivitySignalled] = []
    core_events.subscribe(ActivitySignalled, seen.append)
    yield seen
    core_events.unsubscribe(ActivitySignalled, seen.append)


def signed_in(client: Client, world: World, persona: str) -> Client:
    client.force_login(getattr(world, persona).user)
    return client


def activity_url(every: EveryKind, activity: Any, name: str = "catalog:activity") -> str:
    return reverse(name, args=[every.course.pk, activity.uid])


def asset_of(every: EveryKind, asset_id: int, **query: str) -> str:
    asset = CourseAsset.objects.get(pk=asset_id)
    url = reverse("catalog:asset", kwargs={"pk": every.course.pk, "asset_id": asset_id, "name": asset.original_name})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def post_json(client: Client, url: str, payload: Any) -> Any:
    return client.post(url, json.dumps(payload), content_type="application/json")


# --- the player ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["page", "video", "file", "link", "acknowledgement"])
def test_a_learner_opens_each_kind_with_the_outline_beside_it(
    client: Client, world: World, every: EveryKind, name: str
) -> None:
    response = signed_in(client, world, "learner").get(activity_url(every, getattr(every, name)))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<h1 id="activity-title">{getattr(every, name).title}</h1>' in html
    current = re.findall(r'<a href="([^"]+)" aria-current="page">', html)
    assert current == [activity_url(every, getattr(every, name))]
    assert html.count("aria-current") == 1
    assert "Preview" not in html


def test_the_player_offers_previous_and_next_in_outline_order(client: Client, world: World, every: EveryKind) -> None:
    html = signed_in(client, world, "learner").get(activity_url(every, every.video)).content.decode()
    assert f'rel="prev" href="{activity_url(every, every.page)}"' in html
    assert f'rel="next" href="{activity_url(every, every.file)}"' in html
    first = client.get(activity_url(every, every.page)).content.decode()
    assert 'rel="prev"' not in first


def test_the_video_page_has_its_caption_track_transcript_and_reporting_url(
    client: Client, world: World, every: EveryKind
) -> None:
    html = signed_in(client, world, "learner").get(activity_url(every, every.video)).content.decode()
    track = every.video.config["captions"][0]
    assert (
        f'<track kind="captions" src="{asset_of(every, track["asset_id"])}" srclang="en" label="English" default>'
        in html
    )
    assert "Know where the exits are." in html  # the transcript, from the captions
    assert f'data-signal-url="{activity_url(every, every.video, "catalog:activity-signal")}"' in html


def test_opening_a_page_signals_viewed_for_that_version(
    client: Client,
    world: World,
    every: EveryKind,
    signals: list[ActivitySignalled],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(client, world, "learner").get(activity_url(every, every.page))
    assert [(s.signal, s.kind, s.user_id, s.version_id, str(s.activity_uid)) for s in signals] == [
        ("viewed", "page", world.learner.user.pk, every.version.pk, str(every.page.uid))
    ]


def test_the_player_shows_the_published_version_not_later_draft_edits(
    client: Client, world: World, every: EveryKind
) -> None:
    services.activity_update(activity=every.page, by=world.instructor.user, data={"body": "<p>Draft words</p>"})
    html = signed_in(client, world, "learner").get(activity_url(every, every.page)).content.decode()
    assert "Know your exits." in html and "Draft words" not in html


def test_the_player_page_reads_the_database_a_constant_number_of_times(
    client: Client, world: World, every: EveryKind, django_assert_max_num_queries: Any
) -> None:
    url = activity_url(every, every.acknowledgement)
    signed_in(client, world, "learner").get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    # Counted now: the connection's query log is a bounded queue, and building the larger course below rotates it.
    small_count = len(small)
    section = services.section_create(course=every.course, by=world.instructor.user, title="More")
    for number in range(12):
        services.activity_create(section=section, by=world.instructor.user, kind="page", title=f"Extra {number}",
                                 data={"body": f"<p>{number}</p>"})  # fmt: skip
    publish(every.course, by=world.org_admin.user)
    # A new major version: the learner stays on theirs, so someone enrolled in the larger one reads it.
    enroll(every.course, world.engineer)
    signed_in(client, world, "engineer").get(url)
    with django_assert_max_num_queries(small_count):
        assert client.get(url).status_code == 200


# --- who gets 404 -------------------------------------------------------------------------------------------


def test_a_learner_cannot_open_a_course_that_was_never_published(client: Client, world: World) -> None:
    by = world.instructor.user
    draft = services.course_create(organization=world.org, by=by, title="Secret draft")
    section = services.section_create(course=draft, by=by, title="S")
    activity = services.activity_create(section=section, by=by, kind="page", title="P", data={"body": "<p>s</p>"})
    signed_in(client, world, "learner")
    assert client.get(reverse("catalog:activity", args=[draft.pk, activity.uid])).status_code == 404
    assert client.get(reverse("catalog:activity-preview", args=[draft.pk, activity.uid])).status_code == 404
    assert post_json(client, reverse("catalog:activity-signal", args=[draft.pk, activity.uid]), {}).status_code == 404


def test_a_learner_cannot_open_an_activity_added_to_the_draft_after_publishing(
    client: Client, world: World, every: EveryKind
) -> None:
    section = every.course.sections.get()
    added = services.activity_create(
        section=section, by=world.instructor.user, kind="page", title="Unpublished", data={"body": "<p>new</p>"}
    )
    assert signed_in(client, world, "learner").get(activity_url(every, added)).status_code == 404


@pytest.mark.parametrize("persona", ["outsider"])
def test_another_organisation_gets_404_for_everything(
    client: Client, world: World, every: EveryKind, persona: str
) -> None:
    signed_in(client, world, persona)
    pdf = every.file.config["asset_id"]
    for url in (
        activity_url(every, every.page),
        activity_url(every, every.page, "catalog:activity-preview"),
        activity_url(every, every.link, "catalog:activity-open"),
        asset_of(every, pdf),
    ):
        assert client.get(url).status_code == 404, url
    assert (
        post_json(client, activity_url(every, every.page, "catalog:activity-signal"), {"signal": "x"}).status_code
        == 404
    )


def test_an_archived_course_is_closed_to_learners_but_not_to_its_team(
    client: Client, world: World, every: EveryKind
) -> None:
    services.course_archive(course=every.course, by=world.org_admin.user)
    # Nobody new gets in; an enrollment made before the course was archived still reaches it.
    assert signed_in(client, world, "engineer").get(activity_url(every, every.page)).status_code == 404
    assert signed_in(client, world, "instructor").get(activity_url(every, every.page)).status_code == 200
    assert signed_in(client, world, "learner").get(activity_url(every, every.page)).status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, every: EveryKind) -> None:
    response = client.get(activity_url(every, every.page))
    assert response.status_code == 302 and reverse("accounts:sign-in") in response["Location"]


# --- preview -------------------------------------------------------------------------------------------------


def test_the_team_previews_the_draft_bannered_and_nothing_is_recorded(
    client: Client,
    world: World,
    every: EveryKind,
    signals: list[ActivitySignalled],
    django_capture_on_commit_callbacks: Any,
) -> None:
    services.activity_update(activity=every.page, by=world.instructor.user, data={"body": "<p>Draft words</p>"})
    signed_in(client, world, "instructor")
    with django_capture_on_commit_callbacks(execute=True):
        pages = {name: client.get(activity_url(every, getattr(every, name), "catalog:activity-preview"))
                 for name in ("page", "video", "file", "link", "acknowledgement")}  # fmt: skip
    assert all(response.status_code == 200 for response in pages.values())
    assert "Draft words" in pages["page"].content.decode()
    for response in pages.values():
        html = response.content.decode()
        assert 'class="preview-banner"' in html
        assert "data-signal-url" not in html
        assert "/signal/" not in html and "/open/" not in html
    assert signals == []
    assert not Acknowledgement.objects.exists()


def test_a_reviewer_may_preview_but_a_learner_may_not(client: Client, world: World, every: EveryKind) -> None:
    url = activity_url(every, every.page, "catalog:activity-preview")
    assert signed_in(client, world, "reviewer").get(url).status_code == 200
    assert signed_in(client, world, "learner").get(url).status_code == 404


# --- signals -------------------------------------------------------------------------------------------------


def test_the_video_reports_real_intervals_and_watched_is_signalled_once(
    client: Client,
    world: World,
    every: EveryKind,
    signals: list[ActivitySignalled],
    django_capture_on_commit_callbacks: Any,
) -> None:
    url = activity_url(every, every.video, "catalog:activity-signal")
    signed_in(client, world, "learner")
    with django_capture_on_commit_callbacks(execute=True):
        first = post_json(client, url, {"signal": "progress", "duration": 4.0, "intervals": [[0, 1]]})
        second = post_json(client, url, {"signal": "progress", "duration": 4.0, "intervals": [[0, 1], [1, 2.2]]})
        third = post_json(client, url, {"signal": "progress", "duration": 4.0, "intervals": [[0, 4]]})
    # Coverage is measured against the file's real length (4.012 s, read at upload), not the 4.0 the player says.
    assert {key: value for key, value in first.json().items() if key != "progress"} == {
        "signals": [],
        "accepted": True,
        "coverage": 24.9,
        "percent": 50,
    }
    assert second.json()["signals"] == ["watched"] and second.json()["coverage"] == 54.8
    assert third.json()["signals"] == []
    assert [s.signal for s in signals] == ["watched"]
    assert signals[0].data == {"percent": 50, "coverage": 54.8}


@pytest.fixture
def builtin_roles(transactional_db: None) -> None:
    """Put back the built-in roles (a data migration) that the flush after a transactional test removes."""
    from syllabus.access.capabilities import BUILTIN_ROLES
    from syllabus.access.models import Role

    for role in BUILTIN_ROLES:
        Role.objects.update_or_create(
            organization=None, key=role.key, defaults={"name": role.name, "description": role.description}
        )


# Transactional, so the signal's events are dispatched as the view's block commits, as in production (the test
# transaction of other tests would hold them until the test ends, after the answer is written).
@pytest.mark.django_db(transaction=True)
def test_a_signal_answers_the_learners_progress_as_the_heartbeat_does(
    builtin_roles: None, client: Client, world: World
) -> None:
    made = course_of_every_kind(world)
    enroll(made.course, world.learner)
    url = activity_url(made, made.video, "catalog:activity-signal")
    signed_in(client, world, "learner")
    partly = post_json(client, url, {"signal": "progress", "duration": 4.0, "intervals": [[0, 1]]}).json()
    assert partly["progress"]["state"] == "not_started" and partly["progress"]["percent"] == 0
    answer = post_json(client, url, {"signal": "progress", "duration": 4.0, "intervals": [[0, 4]]}).json()
    assert answer["signals"] == ["watched"]
    enrollment = Enrollment.objects.get(membership=world.learner, course=made.course)
    assert enrollment.progress_percent > 0
    # The keys of the heartbeat's answer (progress:heartbeat), for heartbeat.js's SyllabusProgress.show.
    assert answer["progress"] == {
        "activity": str(made.video.uid),
        "percent": enrollment.progress_percent,
        "percent_text": f"{enrollment.progress_percent}% complete",
        "completed": False,
        "state": "completed",
        "state_label": "Completed",
        "state_icon": "\u2713",
    }
    # The team (not enrolled) is not tracked: no progress in the answer.
    team = post_json(
        signed_in(client, world, "instructor"),
        url,
        {"signal": "progress", "duration": 4.0, "intervals": [[0, 1]]},
    ).json()
    assert "progress" not in team


def test_a_report_played_too_fast_says_why_it_did_not_count(client: Client, world: World) -> None:
    by = world.instructor.user
    course = services.course_create(organization=world.org, by=by, title="Long video")
    video = services.activity_create(
        section=services.section_create(course=course, by=by, title="Watch"),
        by=by,
        kind="video",
        title="An hour of safety",
        data={"source": "url", "video_url": "https://media.example.org/hour.mp4"},
        completion={"rule": "watched", "percent": 90},
    )
    publish(course, by=world.org_admin.user)
    enroll(course, world.learner)
    url = reverse("catalog:activity-signal", args=[course.pk, video.uid])
    # The whole hour reported a moment after the first report: more than could have been watched even at 4x.
    signed_in(client, world, "learner")
    post_json(client, url, {"signal": "progress", "duration": 3600, "intervals": [[0, 1]]})
    answer = post_json(client, url, {"signal": "progress", "duration": 3600, "intervals": [[0, 3600]]}).json()
    assert answer["accepted"] is False and answer["signals"] == []
    assert answer["message"] == "This stretch was played too fast to count; watch it at normal speed."
    accepted = post_json(client, url, {"signal": "progress", "duration": 3600, "intervals": [[0, 2]]}).json()
    assert accepted["accepted"] is True and "message" not in accepted


def test_a_learner_cannot_claim_a_shorter_video_than_the_uploaded_file(
    client: Client, world: World, every: EveryKind
) -> None:
    url = activity_url(every, every.video, "catalog:activity-signal")
    answer = post_json(signed_in(client, world, "learner"), url,
                       {"signal": "progress", "duration": 1.0, "intervals": [[0, 1]]})  # fmt: skip
    assert answer.json()["signals"] == [] and answer.json()["coverage"] == 24.9


def test_seeking_to_the_end_does_not_complete_the_video(client: Client, world: World, every: EveryKind) -> None:
    url = activity_url(every, every.video, "catalog:activity-signal")
    answer = post_json(signed_in(client, world, "learner"), url,
                       {"signal": "progress", "duration": 4.0, "intervals": [[0, 0.5], [3.5, 4.0]]})  # fmt: skip
    assert answer.json()["signals"] == [] and answer.json()["coverage"] == 24.9


@pytest.mark.parametrize(
    ("activity", "payload", "field"),
    [
        ("video", {"signal": "progress", "duration": 4, "intervals": [[3, 1]]}, "intervals"),
        ("video", {"signal": "progress", "duration": 4, "intervals": [[0, 99]]}, "intervals"),
        ("video", {"signal": "progress", "duration": 4, "intervals": "all of it"}, "intervals"),
        ("video", {"signal": "progress", "duration": 4, "intervals": [[-1, 2]]}, "intervals"),
        ("video", {"signal": "watched"}, "signal"),
        ("page", {"signal": "viewed"}, "signal"),
        ("page", ["not", "an", "object"], "signal"),
        ("link", {"signal": "opened"}, "signal"),
        ("acknowledgement", {"signal": "acknowledged"}, "confirm"),
    ],
)
def test_bad_signals_are_answered_400_with_the_field(
    client: Client, world: World, every: EveryKind, activity: str, payload: Any, field: str
) -> None:
    response = post_json(
        signed_in(client, world, "learner"),
        activity_url(every, getattr(every, activity), "catalog:activity-signal"),
        payload,
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_a_body_that_is_not_json_is_answered_400(client: Client, world: World, every: EveryKind) -> None:
    response = signed_in(client, world, "learner").post(
        activity_url(every, every.video, "catalog:activity-signal"), "{nope", content_type="application/json"
    )
    assert response.status_code == 400


def test_signals_need_a_csrf_token(world: World, every: EveryKind) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.learner.user)
    url = activity_url(every, every.video, "catalog:activity-signal")
    assert post_json(client, url, {"signal": "progress", "duration": 4, "intervals": [[0, 1]]}).status_code == 403


def test_a_learner_confirms_the_policy_with_the_form(
    client: Client,
    world: World,
    every: EveryKind,
    signals: list[ActivitySignalled],
    django_capture_on_commit_callbacks: Any,
) -> None:
    url = activity_url(every, every.acknowledgement, "catalog:activity-signal")
    signed_in(client, world, "learner")
    refused = client.post(url, {"signal": "acknowledged"}, follow=True)
    assert "Tick the box" in refused.content.decode() and not Acknowledgement.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"signal": "acknowledged", "confirm": "on"})
    assert response.status_code == 303 and response["Location"] == activity_url(every, every.acknowledgement)
    record = Acknowledgement.objects.get()
    assert (record.user, record.version) == (world.learner.user, every.version)
    assert [(s.signal, s.data["acknowledgement_id"]) for s in signals] == [("acknowledged", record.pk)]
    assert "You confirmed this on" in client.get(response["Location"]).content.decode()


def test_following_a_link_records_opened_and_redirects_to_it(
    client: Client,
    world: World,
    every: EveryKind,
    signals: list[ActivitySignalled],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(client, world, "learner").get(activity_url(every, every.link, "catalog:activity-open"))
    assert response.status_code == 302 and response["Location"] == "https://guidance.example.org/fire"
    assert [(s.signal, s.kind) for s in signals] == [("opened", "link")]


def test_opening_a_document_records_opened_and_downloads_it(client: Client, world: World, every: EveryKind) -> None:
    response = signed_in(client, world, "learner").get(activity_url(every, every.file, "catalog:activity-open"))
    assert response.status_code == 302
    assert response["Location"] == asset_of(every, every.file.config["asset_id"], download="1")


def test_a_page_has_nothing_to_open(client: Client, world: World, every: EveryKind) -> None:
    assert (
        signed_in(client, world, "learner").get(activity_url(every, every.page, "catalog:activity-open")).status_code
        == 404
    )


# --- files ---------------------------------------------------------------------------------------------------


def test_a_learner_gets_a_published_pdf_inline_with_safe_headers(
    client: Client, world: World, every: EveryKind
) -> None:
    response = signed_in(client, world, "learner").get(asset_of(every, every.file.config["asset_id"]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == fixture_bytes("policy.pdf")  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="policy.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == ASSET_CSP
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["Accept-Ranges"] == "bytes"
    download = client.get(asset_of(every, every.file.config["asset_id"], download="1"))
    assert download["Content-Disposition"] == 'attachment; filename="policy.pdf"'


def test_captions_are_served_as_utf8_webvtt(client: Client, world: World, every: EveryKind) -> None:
    response = signed_in(client, world, "learner").get(asset_of(every, every.video.config["captions"][0]["asset_id"]))
    assert response["Content-Type"] == "text/vtt; charset=utf-8"


def test_video_seeking_gets_byte_ranges(client: Client, world: World, every: EveryKind) -> None:
    url = asset_of(every, every.video.config["asset_id"])
    data = fixture_bytes("clip.webm")
    signed_in(client, world, "learner")
    part = client.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-199/{len(data)}" and part["Content-Length"] == "100"
    assert b"".join(part.streaming_content) == data[100:200]  # type: ignore[attr-defined]
    tail = client.get(url, HTTP_RANGE="bytes=-10")
    assert b"".join(tail.streaming_content) == data[-10:]  # type: ignore[attr-defined]
    beyond = client.get(url, HTTP_RANGE=f"bytes={len(data)}-")
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{len(data)}"
    etag = part["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    stale = client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"other"')
    assert stale.status_code == 200


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-9", (0, 9)),
        ("bytes=5-", (5, 99)),
        ("bytes=-5", (95, 99)),
        ("bytes=90-500", (90, 99)),
        ("bytes=100-", False),
        ("bytes=-0", False),
        ("bytes=9-3", False),
        ("bytes=0-1,5-6", None),
        ("items=0-1", None),
        ("", None),
    ],
)
def test_range_headers_are_parsed_strictly(header: str, expected: Any) -> None:
    assert parse_range(header, 100) == expected


def test_a_learner_cannot_download_a_file_that_is_not_in_the_published_version(
    client: Client, world: World, every: EveryKind, django_capture_on_commit_callbacks: Any
) -> None:
    services.activity_update(activity=every.file, by=world.instructor.user, files={"document": upload("roster.csv")})
    every.file.refresh_from_db()
    draft_asset = every.file.config["asset_id"]
    assert draft_asset not in every.version.asset_ids
    assert signed_in(client, world, "learner").get(asset_of(every, draft_asset)).status_code == 404
    team = signed_in(client, world, "instructor").get(asset_of(every, draft_asset))
    assert team.status_code == 200
    assert team["Content-Type"] == "text/csv; charset=utf-8"
    assert team["Content-Disposition"].startswith("attachment;")
    assert team["Content-Security-Policy"] == ASSET_CSP and team["X-Content-Type-Options"] == "nosniff"
    with django_capture_on_commit_callbacks(execute=True):  # a minor version: enrolled learners move to it
        publish(every.course, by=world.org_admin.user)
    assert signed_in(client, world, "learner").get(asset_of(every, draft_asset)).status_code == 200


def test_an_asset_id_of_another_course_is_not_found_through_this_course(
    client: Client, world: World, every: EveryKind
) -> None:
    other = course_of_every_kind(world, title="Another course")
    foreign = other.file.config["asset_id"]
    url = reverse("catalog:asset", kwargs={"pk": every.course.pk, "asset_id": foreign, "name": "policy.pdf"})
    assert signed_in(client, world, "learner").get(url).status_code == 404
    assert signed_in(client, world, "instructor").get(url).status_code == 404


def test_the_cover_reaches_whoever_may_see_the_course_but_no_other_file_before_enrolling(
    client: Client, world: World
) -> None:
    made = course_of_every_kind(world, title="Covered")
    cover = services.course_cover_set(
        course=made.course, by=world.instructor.user, upload=upload("pixel.png", content_type="image/png")
    )
    publish(made.course, by=world.org_admin.user)
    made.course.refresh_from_db()
    cover_url = reverse("catalog:asset", args=[made.course.pk, cover.pk, "cover"])
    pdf_url = asset_of(made, made.file.config["asset_id"])
    # Not enrolled: the catalog card and the course page show the cover; the activities' files stay closed.
    learner = signed_in(client, world, "learner")
    assert f'src="{cover_url}"' in learner.get(reverse("catalog:course", args=[made.course.pk])).content.decode()
    assert learner.get(cover_url).status_code == 200
    assert learner.get(pdf_url).status_code == 404
    # Not any file that merely is an image: an activity's caption file of the same course stays closed.
    assert learner.get(asset_of(made, made.video.config["captions"][0]["asset_id"])).status_code == 404
    # Another organisation sees nothing.
    outsider = signed_in(client, world, "outsider")
    assert outsider.get(cover_url).status_code == 404
    assert outsider.get(pdf_url).status_code == 404


def test_a_cover_is_not_shown_to_people_the_course_is_hidden_from(client: Client, world: World) -> None:
    made = course_of_every_kind(world, title="Hidden")
    cover = services.course_cover_set(
        course=made.course, by=world.instructor.user, upload=upload("pixel.png", content_type="image/png")
    )
    publish(made.course, by=world.org_admin.user)
    services.course_archive(course=made.course, by=world.org_admin.user)
    cover_url = reverse("catalog:asset", args=[made.course.pk, cover.pk, "cover"])
    assert signed_in(client, world, "learner").get(cover_url).status_code == 404
    assert signed_in(client, world, "instructor").get(cover_url).status_code == 200


# --- per-page CSP ----------------------------------------------------------------------------------------------


def test_an_allow_listed_embed_widens_frame_src_for_that_host_only(client: Client, world: World) -> None:
    CatalogSettings.objects.create(organization=world.org, embed_allowlist="guidance.example.org")
    every = course_of_every_kind(world, embed_link=True)
    enroll(every.course, world.learner)
    response = signed_in(client, world, "learner").get(activity_url(every, every.link))
    policy = response["Content-Security-Policy"]
    assert "frame-src https://guidance.example.org" in policy
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert '<iframe src="https://guidance.example.org/fire"' in response.content.decode()
    other_page = client.get(activity_url(every, every.page))
    assert "frame-src" not in other_page["Content-Security-Policy"]


def test_a_youtube_video_is_an_embed_that_completes_on_view(
    client: Client,
    world: World,
    signals: list[ActivitySignalled],
    django_capture_on_commit_callbacks: Any,
) -> None:
    by = world.instructor.user
    course = services.course_create(organization=world.org, by=by, title="Watch")
    section = services.section_create(course=course, by=by, title="S")
    video = services.activity_create(section=section, by=by, kind="video", title="Talk",
                                     data={"source": "url", "video_url": "https://youtu.be/dQw4w9WgXcQ"})  # fmt: skip
    publish(course, by=world.org_admin.user)
    enroll(course, world.learner)
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(client, world, "learner").get(reverse("catalog:activity", args=[course.pk, video.uid]))
    assert "frame-src https://www.youtube-nocookie.com" in response["Content-Security-Policy"]
    assert 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in response.content.decode()
    assert sorted(s.signal for s in signals) == ["viewed", "watched"]


def test_an_image_in_a_page_reaches_learners_once_the_page_is_published(
    client: Client, world: World, every: EveryKind, django_capture_on_commit_callbacks: Any
) -> None:
    signed_in(client, world, "instructor")
    stored = client.post(reverse("catalog:richtext-upload", args=[every.course.pk]), {"file": upload("pixel.png")})
    image = stored.json()["url"]
    services.activity_update(
        activity=every.page, by=world.instructor.user, data={"body": f'<p>Map</p><img src="{image}" alt="Exits map">'}
    )
    assert signed_in(client, world, "learner").get(image).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):  # a minor version: enrolled learners move to it
        publish(every.course, by=world.org_admin.user)
    response = client.get(image)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert f'<img src="{image}" alt="Exits map">' in client.get(activity_url(every, every.page)).content.decode()
