"""The Video kind: sources, captions, transcript, and completion from the really watched intervals."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.utils import timezone

from syllabus.catalog import services
from syllabus.catalog.activity_kinds import base
from syllabus.catalog.activity_kinds.video import kind as video_kind
from syllabus.catalog.activity_kinds.video import services as video_services
from syllabus.catalog.activity_kinds.video.models import WatchProgress
from syllabus.catalog.models import Course, CourseAsset
from syllabus.core import privacy
from tests.catalog.kinds.builders import course_of_every_kind, upload
from tests.conftest import World

pytestmark = pytest.mark.django_db
kind = base.get("video")


@pytest.fixture
def course(world: World) -> Course:
    return services.course_create(organization=world.org, by=world.instructor.user, title="Fire safety")


def clean(course: Course, world: World, data: dict[str, object], files: dict[str, object] | None = None,
          current: dict[str, object] | None = None) -> dict[str, object]:  # fmt: skip
    context = base.AuthorContext(course=course, by=world.instructor.user, current=current or {})
    return kind.clean(data=data, files=files or {}, context=context)


def errors(course: Course, world: World, data: dict[str, object], files: dict[str, object] | None = None,
           current: dict[str, object] | None = None) -> dict[str, list[str]]:  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        clean(course, world, data, files, current)
    return caught.value.message_dict


def test_an_uploaded_video_with_captions_gets_a_transcript_from_them(course: Course, world: World) -> None:
    config = clean(
        course,
        world,
        {"source": "upload", "captions_language": "en", "captions_label": "English"},
        {"video": upload("clip.webm"), "captions_file": upload("captions.vtt")},
    )
    video = CourseAsset.objects.get(pk=config["asset_id"])
    track = CourseAsset.objects.get(pk=config["captions"][0]["asset_id"])  # type: ignore[index]
    assert (config["source"], video.content_type, track.content_type) == ("upload", "video/webm", "text/vtt")
    assert config["captions"] == [{"asset_id": track.pk, "language": "en", "label": "English", "name": "captions.vtt"}]
    assert config["transcript"] == "Welcome to the fire safety induction.\nKnow where the exits are."
    assert config["transcript_from_captions"] is True
    assert kind.asset_ids(config) == [video.pk, track.pk]


def test_a_youtube_link_is_stored_as_an_embed_url_never_as_typed(course: Course, world: World) -> None:
    config = clean(course, world, {"source": "url", "video_url": "https://youtu.be/dQw4w9WgXcQ?si=tracking"})
    assert config["source"] == "youtube"
    assert config["url"] == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
    assert "tracking" not in str(config)
    assert kind.signals_on_open(config) == ("viewed", "watched")
    assert kind.asset_ids(config) == []


def test_a_direct_video_file_keeps_its_captions_and_widens_media_src_for_its_host_only(
    course: Course, world: World
) -> None:
    config = clean(
        course,
        world,
        {"video_url": "https://media.example.org/intro.mp4", "captions_language": "fr", "captions_label": "Français"},
        {"captions_file": upload("captions.vtt")},
    )
    assert config["source"] == "direct" and len(config["captions"]) == 1  # type: ignore[arg-type]
    context = base.LearnerContext(
        request=RequestFactory().get("/"), course=course, version_id=1, activity={}, signal_url="", asset_url=str
    )
    assert kind.csp_for(config=config, context=context) == {"media-src": ["'self'", "https://media.example.org"]}


def test_keeping_the_uploaded_video_and_removing_captions(course: Course, world: World) -> None:
    first = clean(
        course,
        world,
        {"captions_language": "en", "captions_label": "English"},
        {"video": upload("clip.mp4"), "captions_file": upload("captions.vtt")},
    )
    track_id = first["captions"][0]["asset_id"]  # type: ignore[index]
    second = clean(course, world, {"source": "upload", "remove_captions": [str(track_id)], "transcript": "Mine."},
                   current=first)  # fmt: skip
    assert second["asset_id"] == first["asset_id"] and second["captions"] == []
    assert second["transcript"] == "Mine." and second["transcript_from_captions"] is False


@pytest.mark.parametrize(
    ("data", "files", "expected"),
    [
        ({"source": "upload"}, {}, {"video": [video_kind.VIDEO_REQUIRED]}),
        ({"source": "url"}, {}, {"video_url": [video_kind.VIDEO_URL_REQUIRED]}),
        ({"source": "url", "video_url": "https://example.org/page"}, {}, {"video_url": [
            "This address is neither a YouTube or Vimeo video nor a video file (.mp4 or .webm): "
            "link to the video itself."
        ]}),
        ({"source": "ftp"}, {}, {"source": [video_kind.SOURCE_INVALID]}),
        ({"video_url": "https://youtu.be/dQw4w9WgXcQ", "captions_language": "english!", "captions_label": ""},
         {"captions_file": "x"}, {"captions_language": [video_kind.CAPTIONS_LANGUAGE_INVALID],
                                  "captions_label": [video_kind.CAPTIONS_LABEL_REQUIRED]}),
        ({"video_url": "https://youtu.be/dQw4w9WgXcQ", "captions_label": "English"}, {},
         {"captions_file": [video_kind.CAPTIONS_FILE_REQUIRED]}),
    ],
)  # fmt: skip
def test_bad_input_names_the_field(
    course: Course, world: World, data: dict[str, object], files: dict[str, object], expected: dict[str, list[str]]
) -> None:
    assert errors(course, world, data, files) == expected


def test_a_refused_captions_file_names_its_line_and_leaves_no_video_behind(
    course: Course, world: World, media_root: Path
) -> None:
    found = errors(
        course,
        world,
        {"captions_language": "en", "captions_label": "English"},
        {"video": upload("clip.webm"), "captions_file": upload("captions_backwards.vtt")},
    )
    assert list(found) == ["captions_file"] and "line 6" in found["captions_file"][0]
    assert not CourseAsset.objects.filter(course=course).exists()
    assert not [path for path in media_root.rglob("*") if path.is_file()]


def test_a_pdf_is_refused_as_the_video(course: Course, world: World) -> None:
    found = errors(course, world, {}, {"video": upload("policy.pdf", as_name="intro.mp4")})
    assert "a PDF document" in found["video"][0]


def test_completion_is_a_watched_percentage_by_default() -> None:
    assert kind.clean_completion(None) == {"rule": "watched", "percent": 90}
    assert kind.clean_completion({"rule": "watched", "percent": "75"}) == {"rule": "watched", "percent": 75}
    assert kind.clean_completion({"rule": "viewed"}) == {"rule": "viewed"}
    for bad in (0, 101, "lots"):
        with pytest.raises(ValidationError):
            kind.clean_completion({"rule": "watched", "percent": bad})


def test_search_describe_and_copy() -> None:
    config = {"source": "upload", "asset_id": 3, "name": "intro.webm", "transcript": "Exits are green.",
              "captions": [{"asset_id": 4, "language": "en", "label": "English"}]}  # fmt: skip
    assert kind.search_text(config) == "Exits are green."
    assert kind.describe(config) == {
        "Video": "intro.webm",
        "Captions": "English (en)",
        "Transcript": "Exits are green.",
    }
    copied = kind.copy_config(config, {3: 13, 4: 14})
    assert copied["asset_id"] == 13 and copied["captions"][0]["asset_id"] == 14
    assert config["asset_id"] == 3  # the original is untouched


# --- watched intervals, recorded -----------------------------------------------------------------------------


@pytest.fixture
def published(world: World):  # type: ignore[no-untyped-def]
    return course_of_every_kind(world)


def record(published, world: World, intervals, *, duration=4.0, now=None, percent=50):  # type: ignore[no-untyped-def]
    return video_services.watch_progress_record(
        user=world.learner.user,
        course=published.course,
        version_id=published.version.pk,
        activity_uid=published.video.uid,
        duration=duration,
        intervals=intervals,
        percent=percent,
        now=now,
    )


def test_reports_merge_and_watched_is_reached_once(published, world: World) -> None:  # type: ignore[no-untyped-def]
    first = record(published, world, [(0.0, 1.0)])
    assert first.accepted and not first.newly_watched and first.coverage == pytest.approx(0.25)
    second = record(published, world, [(0.0, 1.0), (1.0, 2.5)])
    assert second.newly_watched and second.coverage == pytest.approx(0.625)
    third = record(published, world, [(2.5, 4.0)])
    assert third.accepted and not third.newly_watched and third.coverage == 1
    progress = WatchProgress.objects.get()
    assert progress.intervals == [[0.0, 4.0]] and progress.watched_at is not None


def test_more_than_could_have_been_watched_is_not_counted_yet(published, world: World) -> None:  # type: ignore[no-untyped-def]
    start = timezone.now()
    record(published, world, [(0.0, 1.0)], duration=3600.0, now=start)
    cheat = record(published, world, [(0.0, 3600.0)], duration=3600.0, now=start + dt.timedelta(seconds=20))
    assert not cheat.accepted and cheat.coverage == pytest.approx(1 / 3600)
    later = record(published, world, [(0.0, 3600.0)], duration=3600.0, now=start + dt.timedelta(hours=1))
    assert later.accepted and later.coverage == 1


def test_a_different_duration_for_the_same_video_is_refused(published, world: World) -> None:  # type: ignore[no-untyped-def]
    record(published, world, [(0.0, 1.0)])
    with pytest.raises(ValueError, match="does not match"):
        record(published, world, [(0.0, 1.0)], duration=400.0)


def test_watched_videos_are_exported_and_erased_with_the_person(published, world: World) -> None:  # type: ignore[no-untyped-def]
    record(published, world, [(0.0, 1.0)])
    exported = privacy.export_person(world.learner.user, world.org)["activity_video"]
    assert exported["watched_videos"][0]["watched_seconds"] == 1.0
    assert privacy.export_person(world.learner.user, world.other_org)["activity_video"]["watched_videos"] == []
    privacy.erase_person(world.learner.user, world.org_admin.user)
    assert not WatchProgress.objects.exists()


def test_watch_progress_is_a_learner_record_of_the_course(published, world: World) -> None:  # type: ignore[no-untyped-def]
    from syllabus.catalog import learner_records

    assert not learner_records.exist(published.course.pk)
    record(published, world, [(0.0, 1.0)])
    assert learner_records.exist(published.course.pk)
    assert uuid.UUID(str(published.video.uid))


@pytest.mark.parametrize(("name", "content_type", "seconds"),
                         [("clip.webm", "video/webm", 4.012), ("clip.mp4", "video/mp4", 4.0)])  # fmt: skip
def test_the_real_length_of_an_uploaded_video_is_read_from_the_file(name, content_type, seconds) -> None:  # type: ignore[no-untyped-def]
    from syllabus.catalog.activity_kinds.video import probe

    with (Path(__file__).parent.parent / "fixtures" / name).open("rb") as handle:
        assert probe.duration_seconds(handle, content_type) == seconds


def test_an_unreadable_header_has_no_length() -> None:
    import io

    from syllabus.catalog.activity_kinds.video import probe

    assert probe.duration_seconds(io.BytesIO(b"\x00\x00\x00\x01moov" + b"\xff" * 20), "video/mp4") is None
    assert probe.duration_seconds(io.BytesIO(b"\x1a\x45\xdf\xa3\x80"), "video/webm") is None
    assert probe.duration_seconds(io.BytesIO(b"%PDF-1.4"), "application/pdf") is None


def test_the_uploaded_videos_length_is_kept_in_its_config(course: Course, world: World) -> None:
    config = clean(course, world, {"source": "upload"}, {"video": upload("clip.mp4")})
    assert config["duration"] == 4.0
    assert clean(course, world, {"source": "upload"}, current=config)["duration"] == 4.0
