"""Where a video comes from: an uploaded file, a direct https file URL, or a YouTube / Vimeo page.

YouTube and Vimeo links are never stored as given: the video id is parsed out and a normalised embed URL built
from it (youtube-nocookie.com, Vimeo with do-not-track), so an author cannot smuggle another page into the iframe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit, urlunsplit

URL_INVALID = "Enter a full https:// address of a video."
URL_NOT_HTTPS = "Video addresses must start with https://."
URL_NOT_VIDEO = (
    "This address is neither a YouTube or Vimeo video nor a video file (.mp4 or .webm): link to the video itself."
)
URL_TOO_LONG = "The address is too long (at most {limit} characters)."
MAX_URL_LENGTH = 2000

YOUTUBE_HOSTS = frozenset(
    {"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be", "www.youtube-nocookie.com", "youtube-nocookie.com"}
)
VIMEO_HOSTS = frozenset({"vimeo.com", "www.vimeo.com", "player.vimeo.com"})
YOUTUBE_EMBED_ORIGIN = "https://www.youtube-nocookie.com"
VIMEO_EMBED_ORIGIN = "https://player.vimeo.com"
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_VIMEO_ID = re.compile(r"^\d{1,12}$")
_VIMEO_HASH = re.compile(r"^[0-9a-f]{6,20}$")
_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_SECONDS = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$")


@dataclass(frozen=True)
class VideoSource:
    kind: str  # "youtube", "vimeo" or "direct"
    url: str  # the embed URL (youtube, vimeo) or the normalised file URL (direct)
    origin: str  # scheme://host of `url`, for the page's CSP

    @property
    def is_embed(self) -> bool:
        return self.kind in ("youtube", "vimeo")


def _start_seconds(value: str) -> int:
    match = _SECONDS.match(value.strip())
    if not value.strip() or match is None:
        return 0
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return min(hours * 3600 + minutes * 60 + seconds, 24 * 3600)


def _youtube(host: str, path: str, query: dict[str, list[str]]) -> VideoSource | None:
    parts = [part for part in path.split("/") if part]
    video_id = ""
    if host == "youtu.be" and parts:
        video_id = parts[0]
    elif parts[:1] == ["watch"]:
        video_id = (query.get("v") or [""])[0]
    elif len(parts) >= 2 and parts[0] in ("embed", "shorts", "live", "v"):
        video_id = parts[1]
    if not _YOUTUBE_ID.match(video_id):
        return None
    start = _start_seconds((query.get("t") or query.get("start") or [""])[0])
    url = f"{YOUTUBE_EMBED_ORIGIN}/embed/{video_id}" + (f"?start={start}" if start else "")
    return VideoSource("youtube", url, YOUTUBE_EMBED_ORIGIN)


def _vimeo(host: str, path: str, query: dict[str, list[str]]) -> VideoSource | None:
    parts = [part for part in path.split("/") if part]
    if host == "player.vimeo.com":
        parts = parts[1:] if parts[:1] == ["video"] else []
    elif parts[:1] == ["channels"] and len(parts) >= 3:
        parts = parts[2:]
    elif parts[:1] == ["groups"] and len(parts) >= 4 and parts[2] == "videos":
        parts = parts[3:]
    if not parts or not _VIMEO_ID.match(parts[0]):
        return None
    video_id = parts[0]
    private = (query.get("h") or [""])[0] or (parts[1] if len(parts) > 1 else "")
    url = f"{VIMEO_EMBED_ORIGIN}/video/{video_id}?dnt=1"
    if private and _VIMEO_HASH.match(private):
        url += f"&h={private}"
    return VideoSource("vimeo", url, VIMEO_EMBED_ORIGIN)


def parse_video_url(raw: str) -> VideoSource:
    """The source behind a video address an author typed; ValueError with a message for anything else."""
    raw = (raw or "").strip()
    if len(raw) > MAX_URL_LENGTH:
        raise ValueError(URL_TOO_LONG.format(limit=MAX_URL_LENGTH))
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise ValueError(URL_INVALID) from None
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme.lower() not in ("http", "https") or not host or parts.username or parts.password:
        raise ValueError(URL_INVALID)
    if not _HOST.match(host):
        raise ValueError(URL_INVALID)
    query = parse_qs(parts.query)
    if host in YOUTUBE_HOSTS:
        found = _youtube(host, parts.path, query)
    elif host in VIMEO_HOSTS:
        found = _vimeo(host, parts.path, query)
    else:
        found = None
        if parts.path.lower().endswith((".mp4", ".webm")):
            if parts.scheme.lower() != "https":
                raise ValueError(URL_NOT_HTTPS)
            netloc = host if port in (None, 443) else f"{host}:{port}"
            url = urlunsplit(("https", netloc, parts.path, parts.query, ""))
            found = VideoSource("direct", url, f"https://{netloc}")
    if found is None:
        raise ValueError(URL_NOT_VIDEO)
    return found
