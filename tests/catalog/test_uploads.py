"""Course uploads: accepted or refused by their content (never their name), re-encoded, stored safely."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from syllabus.catalog import uploads
from syllabus.catalog.models import Course, CourseAsset
from tests.catalog.kinds.builders import fixture_bytes, upload
from tests.conftest import World
from tests.factories import CourseFactory

Purpose = CourseAsset.Purpose


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def course(world: World) -> Course:
    return CourseFactory(organization=world.org)


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def store(course: Course, world: World, file, purpose: str) -> CourseAsset:  # type: ignore[no-untyped-def]
    return uploads.store_upload(course=course, by=world.instructor.user, upload=file, purpose=purpose)


def refusal(course: Course, world: World, file, purpose: str) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as caught:
        store(course, world, file, purpose)
    return " ".join(caught.value.messages)


def office_file(first_entry: str, folder: str) -> bytes:
    buffer = io.BytesIO()
    # A fixed timestamp: the bytes are a test parameter, and pytest-xdist workers must build identical ones.
    stamp = (2026, 1, 1, 0, 0, 0)
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo(first_entry, stamp), "<Types/>")
        archive.writestr(zipfile.ZipInfo(f"{folder}/document.xml", stamp), "<doc/>")
    return buffer.getvalue()


# --- accepted ------------------------------------------------------------------------------------------------


def test_a_png_is_re_encoded_and_stored_under_a_random_name_with_its_true_extension(
    course: Course, world: World, media_root: Path
) -> None:
    asset = store(course, world, upload("pixel.png", as_name="../../etc/My Logo.PNG"), Purpose.IMAGE)
    assert asset.content_type == "image/png"
    assert asset.original_name == "My_Logo.png"
    assert re.fullmatch(r"courses/\d{4}/\d{2}/[0-9a-f]{32}\.png", asset.file.name)
    data = default_storage.open(asset.file.name).read()
    assert asset.sha256 == hashlib.sha256(data).hexdigest()
    assert asset.size == len(data)
    assert asset.organization_id == course.organization_id
    assert asset.uploaded_by == world.instructor.user
    assert Image.open(io.BytesIO(data)).size == (8, 6)


def test_a_jpeg_loses_its_metadata_but_keeps_its_orientation(course: Course, world: World) -> None:
    assert Image.open(io.BytesIO(fixture_bytes("photo.jpg"))).getexif()
    asset = store(course, world, upload("photo.jpg"), Purpose.IMAGE)
    image = Image.open(default_storage.open(asset.file.name))
    assert not image.getexif()
    assert b"SpyCam" not in default_storage.open(asset.file.name).read()
    assert image.size == (6, 8)  # EXIF orientation 6 applied to the pixels


def test_an_animated_gif_keeps_its_frames(course: Course, world: World) -> None:
    frames = [Image.new("RGB", (4, 4), color) for color in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    asset = store(course, world, SimpleUploadedFile("spin.gif", buffer.getvalue()), Purpose.IMAGE)
    assert asset.content_type == "image/gif"
    assert Image.open(default_storage.open(asset.file.name)).n_frames == 3


@pytest.mark.parametrize(("name", "content_type"), [("clip.webm", "video/webm"), ("clip.mp4", "video/mp4")])
def test_mp4_and_webm_videos_are_accepted(course: Course, world: World, name: str, content_type: str) -> None:
    asset = store(course, world, upload(name, as_name="video.bin"), Purpose.VIDEO)
    assert asset.content_type == content_type
    assert asset.file.name.endswith("." + name.rsplit(".", 1)[1])
    assert asset.sha256 == hashlib.sha256(fixture_bytes(name)).hexdigest()


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (fixture_bytes("policy.pdf"), "policy.pdf", "application/pdf"),
        (office_file("[Content_Types].xml", "word"), "report.docx",
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (office_file("[Content_Types].xml", "xl"), "figures.xlsx",
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (fixture_bytes("notes.txt"), "notes.txt", "text/plain"),
        (fixture_bytes("roster.csv"), "roster.csv", "text/csv"),
    ],
    ids=["pdf", "docx", "xlsx", "txt", "csv"],
)  # fmt: skip
def test_documents_are_recognised_by_their_content(
    course: Course, world: World, data: bytes, name: str, content_type: str
) -> None:
    asset = store(course, world, SimpleUploadedFile(name, data), Purpose.DOCUMENT)
    assert asset.content_type == content_type


def test_valid_webvtt_captions_are_accepted(course: Course, world: World) -> None:
    asset = store(course, world, upload("captions.vtt"), Purpose.CAPTIONS)
    assert asset.content_type == "text/vtt"
    assert asset.file.name.endswith(".vtt")


def test_the_transcript_of_captions_is_their_words_without_tags() -> None:
    assert uploads.captions_text(fixture_bytes("captions.vtt")) == (
        "Welcome to the fire safety induction.\nKnow where the exits are."
    )


# --- refused by content --------------------------------------------------------------------------------------


def test_a_pdf_named_like_a_png_is_not_an_image(course: Course, world: World) -> None:
    message = refusal(course, world, upload("pdf_named.png", content_type="image/png"), Purpose.IMAGE)
    assert message == uploads.TYPE_NOT_ALLOWED.format(
        name="pdf_named.png", expected=uploads.EXPECTED[Purpose.IMAGE], found="a PDF document"
    )


def test_html_named_like_a_pdf_is_refused(course: Course, world: World) -> None:
    message = refusal(course, world, upload("page_named.pdf", content_type="application/pdf"), Purpose.DOCUMENT)
    assert message == uploads.HTML_REFUSED.format(name="page_named.pdf")


@pytest.mark.parametrize("purpose", [Purpose.IMAGE, Purpose.DOCUMENT, Purpose.CAPTIONS])
def test_an_svg_with_a_script_is_refused_for_every_purpose(course: Course, world: World, purpose: str) -> None:
    message = refusal(course, world, upload("svg_named.png", content_type="image/png"), purpose)
    assert "SVG" in message or "WEBVTT" in message


def test_an_svg_image_is_refused_as_an_image_with_a_reason(course: Course, world: World) -> None:
    assert refusal(course, world, upload("script.svg"), Purpose.IMAGE) == uploads.SVG_REFUSED.format(name="script.svg")


def test_html_is_refused_as_an_image_and_as_a_document(course: Course, world: World) -> None:
    assert refusal(course, world, upload("page.html"), Purpose.IMAGE) == uploads.HTML_REFUSED.format(name="page.html")
    assert refusal(course, world, upload("page.html"), Purpose.DOCUMENT) == uploads.HTML_REFUSED.format(
        name="page.html"
    )


def test_an_image_claiming_huge_dimensions_is_refused_before_it_is_decoded(course: Course, world: World) -> None:
    # 100000 x 100000: Pillow's own bomb guard fires while reading the header.
    message = refusal(course, world, upload("huge_dimensions.png"), Purpose.IMAGE)
    assert message == uploads.IMAGE_BOMB.format(name="huge_dimensions.png", limit="40")


def test_an_image_above_our_pixel_limit_is_refused_with_its_dimensions(course: Course, world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.UPLOAD_MAX_IMAGE_PIXELS = 40
    message = refusal(course, world, upload("pixel.png"), Purpose.IMAGE)
    assert message == uploads.IMAGE_TOO_MANY_PIXELS.format(name="pixel.png", width=8, height=6, limit="4e-05")


def test_a_truncated_image_is_refused(course: Course, world: World) -> None:
    data = fixture_bytes("photo.jpg")[:200]
    message = refusal(course, world, SimpleUploadedFile("cut.jpg", data), Purpose.IMAGE)
    assert message == uploads.IMAGE_UNREADABLE.format(name="cut.jpg")


def test_a_file_above_the_purpose_limit_is_refused(course: Course, world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.UPLOAD_MAX_DOCUMENT_MB = 1
    big = SimpleUploadedFile("big.txt", b"a" * (1024 * 1024 + 1))
    assert refusal(course, world, big, Purpose.DOCUMENT) == uploads.FILE_TOO_LARGE.format(
        name="big.txt", purpose="document", limit="1 MB"
    )


def test_a_file_that_hides_its_size_is_still_stopped_at_the_limit(course: Course, world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.UPLOAD_MAX_CAPTIONS_KB = 1
    lying = SimpleUploadedFile("long.vtt", b"WEBVTT\n\n" + b"x" * 4096)
    lying.size = 10  # what a client could claim
    assert "too large" in refusal(course, world, lying, Purpose.CAPTIONS)


def test_an_empty_file_is_refused(course: Course, world: World) -> None:
    assert refusal(course, world, SimpleUploadedFile("empty.pdf", b""), Purpose.DOCUMENT) == (
        uploads.FILE_EMPTY.format(name="empty.pdf")
    )


def test_a_plain_zip_archive_is_not_a_document(course: Course, world: World) -> None:
    data = office_file("readme.txt", "other")
    message = refusal(course, world, SimpleUploadedFile("archive.docx", data), Purpose.DOCUMENT)
    assert "a ZIP archive" in message


def test_a_pdf_is_not_a_video(course: Course, world: World) -> None:
    assert "a PDF document" in refusal(course, world, upload("policy.pdf", as_name="clip.mp4"), Purpose.VIDEO)


def test_binary_text_documents_are_refused(course: Course, world: World) -> None:
    message = refusal(course, world, SimpleUploadedFile("data.csv", b"a,b\x00\x01\x02"), Purpose.DOCUMENT)
    assert message == uploads.TEXT_BINARY.format(name="data.csv")


def test_only_narrows_the_accepted_types(course: Course, world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        uploads.store_upload(
            course=course,
            by=world.instructor.user,
            upload=upload("notes.txt"),
            purpose=Purpose.DOCUMENT,
            only={"application/pdf": "a PDF document"},
        )
    assert caught.value.messages == [
        uploads.TYPE_NOT_ALLOWED.format(name="notes.txt", expected="a PDF document", found="a text file")
    ]


# --- captions ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("captions_srt.vtt", uploads.CAPTIONS_NO_HEADER.format(name="captions_srt.vtt")),
        (
            "captions_backwards.vtt",
            uploads.CAPTIONS_ENDS_BEFORE_START.format(
                name="captions_backwards.vtt", line=6, text="00:00:05.000 --> 00:00:03.000"
            ),
        ),
        (
            "captions_bad_timing.vtt",
            uploads.CAPTIONS_BAD_TIMING.format(
                name="captions_bad_timing.vtt", line=4, text="00:00:00.000 --> 00:00:0x.000"
            ),
        ),
    ],
)
def test_bad_captions_name_the_line_at_fault(course: Course, world: World, name: str, message: str) -> None:
    assert refusal(course, world, upload(name), Purpose.CAPTIONS) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"WEBVTT\n\nNOTE only a note\n", uploads.CAPTIONS_NO_CUES.format(name="c.vtt")),
        (b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n\xff\xfe bad bytes\n", uploads.CAPTIONS_NOT_UTF8.format(
            name="c.vtt", line=4)),
        (b"WEBVTT\n\n00:00:05.000 --> 00:00:06.000\nB\n\n00:00:01.000 --> 00:00:02.000\nA\n",
         uploads.CAPTIONS_OUT_OF_ORDER.format(name="c.vtt", line=6, text="00:00:01.000 --> 00:00:02.000")),
        (b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nA --> B\n", uploads.CAPTIONS_ARROW_IN_TEXT.format(
            name="c.vtt", line=4)),
        (b"WEBVTT\n\nidentifier only\nno timing here\n", uploads.CAPTIONS_MISSING_TIMING.format(
            name="c.vtt", line=3, text="identifier only")),
        (b"WEBVTTX\n\n00:00:01.000 --> 00:00:02.000\nA\n", uploads.CAPTIONS_NO_HEADER.format(name="c.vtt")),
    ],
)  # fmt: skip
def test_captions_are_checked_cue_by_cue(course: Course, world: World, text: bytes, message: str) -> None:
    assert refusal(course, world, SimpleUploadedFile("c.vtt", text), Purpose.CAPTIONS) == message


def test_captions_with_a_byte_order_mark_header_settings_and_crlf_are_fine(course: Course, world: World) -> None:
    text = (
        "\ufeffWEBVTT - Fire safety\r\nKind: captions\r\n\r\nSTYLE\r\n::cue { color: yellow }\r\n\r\n"
        "00:01.000 --> 00:02.500 align:start\r\nShort timestamps are allowed.\r\n"
    ).encode()
    assert store(course, world, SimpleUploadedFile("c.vtt", text), Purpose.CAPTIONS).content_type == "text/vtt"


# --- nothing left behind -------------------------------------------------------------------------------------


def test_a_refused_upload_leaves_no_file_and_no_row(course: Course, world: World, media_root: Path) -> None:
    for name, purpose in (("page.html", Purpose.DOCUMENT), ("huge_dimensions.png", Purpose.IMAGE)):
        with pytest.raises(ValidationError):
            store(course, world, upload(name), purpose)
    assert stored_files(media_root) == []
    assert not CourseAsset.objects.exists()


def test_the_rollback_guard_deletes_files_stored_before_a_later_failure(
    course: Course, world: World, media_root: Path
) -> None:
    with pytest.raises(RuntimeError), uploads.rollback_guard():
        store(course, world, upload("policy.pdf"), Purpose.DOCUMENT)
        assert len(stored_files(media_root)) == 1
        raise RuntimeError("the service failed after storing the upload")
    assert stored_files(media_root) == []


def test_files_stored_in_a_guard_that_succeeds_are_kept(course: Course, world: World, media_root: Path) -> None:
    with uploads.rollback_guard() as stored:
        asset = store(course, world, upload("policy.pdf"), Purpose.DOCUMENT)
    assert stored == [asset.file.name]
    assert len(stored_files(media_root)) == 1


def test_an_unknown_purpose_is_refused(course: Course, world: World) -> None:
    with pytest.raises(ValidationError):
        store(course, world, upload("policy.pdf"), "spreadsheet")
