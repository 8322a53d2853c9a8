"""Video addresses: YouTube and Vimeo become normalised embed URLs built from the parsed id, never the raw URL."""

from __future__ import annotations

import pytest

from syllabus.catalog.activity_kinds.video import sources
from syllabus.catalog.activity_kinds.video.sources import parse_video_url


@pytest.mark.parametrize(
    ("raw", "embed"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://youtu.be/dQw4w9WgXcQ?t=1m5s", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?start=65"),
        ("https://m.youtube.com/watch?v=dQw4w9WgXcQ&list=x", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://www.youtube.com/shorts/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        (
            "http://youtube.com/embed/dQw4w9WgXcQ?start=30",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?start=30",
        ),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
        ("https://vimeo.com/76979871/abc123def", "https://player.vimeo.com/video/76979871?dnt=1&h=abc123def"),
        (
            "https://player.vimeo.com/video/76979871?h=abc123def",
            "https://player.vimeo.com/video/76979871?dnt=1&h=abc123def",
        ),
        ("https://vimeo.com/channels/staffpicks/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
    ],
)
def test_youtube_and_vimeo_links_become_embed_urls_from_their_id(raw: str, embed: str) -> None:
    found = parse_video_url(raw)
    assert found.is_embed
    assert found.url == embed
    assert found.origin in (sources.YOUTUBE_EMBED_ORIGIN, sources.VIMEO_EMBED_ORIGIN)


def test_extra_parts_of_a_youtube_link_never_reach_the_embed() -> None:
    found = parse_video_url('https://www.youtube.com/watch?v=dQw4w9WgXcQ&autoplay=1&"><script>')
    assert found.url == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"


def test_a_direct_https_video_file_is_kept_without_its_fragment() -> None:
    found = parse_video_url("https://media.example.org/videos/Intro.MP4?v=2#t=10")
    assert (found.kind, found.url, found.origin) == (
        "direct",
        "https://media.example.org/videos/Intro.MP4?v=2",
        "https://media.example.org",
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("javascript:alert(1)//.mp4", sources.URL_INVALID),
        ("http://media.example.org/intro.mp4", sources.URL_NOT_HTTPS),
        ("https://user:secret@media.example.org/intro.mp4", sources.URL_INVALID),
        ("https://media.example.org/intro.html", sources.URL_NOT_VIDEO),
        ("https://www.youtube.com/watch?v=short", sources.URL_NOT_VIDEO),
        ("https://www.youtube.com/@channel", sources.URL_NOT_VIDEO),
        ("https://vimeo.com/about", sources.URL_NOT_VIDEO),
        ("https://localhost/intro.mp4", sources.URL_INVALID),
        ("https://" + "a" * 2000 + ".org/x.mp4", sources.URL_TOO_LONG.format(limit=sources.MAX_URL_LENGTH)),
        ("", sources.URL_INVALID),
    ],
)
def test_anything_else_is_refused_with_a_message(raw: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_video_url(raw)
    assert str(caught.value) == message
