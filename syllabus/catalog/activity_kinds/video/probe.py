"""The length of an uploaded video, read from its container headers (no ffmpeg on the server).

The watched percentage must be measured against the video's real length, not the length the learner's browser
reports (a hand-made request could claim a 5-second video). MP4 keeps it in the `mvhd` box inside `moov`
(which may sit after the media data); WebM in the Segment's Info element (`Duration` scaled by `TimecodeScale`).
A file without a readable length (a live-recorded WebM has none) answers None, and the player's report is used.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

# How far to read: boxes/elements are walked by their sizes, so this bounds work, not file size.
_MAX_BOXES = 10_000
_WEBM_HEAD = 256 * 1024

_EBML_SEGMENT = 0x18538067
_EBML_INFO = 0x1549A966
_EBML_TIMECODE_SCALE = 0x2AD7B1
_EBML_DURATION = 0x4489
_EBML_CLUSTER = 0x1F43B675


def duration_seconds(handle: BinaryIO, content_type: str) -> float | None:
    """The video's length in seconds, or None when the headers do not say (never raises on bad input)."""
    try:
        if content_type == "video/mp4":
            value = _mp4_duration(handle)
        elif content_type == "video/webm":
            value = _webm_duration(handle.read(_WEBM_HEAD))
        else:
            return None
    except (OSError, ValueError, struct.error, IndexError):
        return None
    if value is None or not 0 < value < 24 * 3600:
        return None
    return round(value, 3)


def _mp4_duration(handle: BinaryIO) -> float | None:
    handle.seek(0, 2)
    end = handle.tell()
    moov = _find_box(handle, 0, end, b"moov")
    if moov is None:
        return None
    mvhd = _find_box(handle, moov[0], moov[1], b"mvhd")
    if mvhd is None:
        return None
    handle.seek(mvhd[0])
    version = handle.read(4)[0]
    if version == 1:
        handle.seek(mvhd[0] + 4 + 16)
        timescale, duration = struct.unpack(">IQ", handle.read(12))
    else:
        handle.seek(mvhd[0] + 4 + 8)
        timescale, duration = struct.unpack(">II", handle.read(8))
    return duration / timescale if timescale else None


def _find_box(handle: BinaryIO, start: int, end: int, wanted: bytes) -> tuple[int, int] | None:
    """(content start, content end) of the first box of type `wanted` among the boxes in [start, end)."""
    position = start
    for _ in range(_MAX_BOXES):
        if position + 8 > end:
            return None
        handle.seek(position)
        size, kind = struct.unpack(">I4s", handle.read(8))
        header = 8
        if size == 1:
            size = struct.unpack(">Q", handle.read(8))[0]
            header = 16
        elif size == 0:
            size = end - position
        if size < header:
            return None
        if kind == wanted:
            return position + header, min(position + size, end)
        position += size
    return None


def _vint(data: bytes, offset: int, *, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer at `offset`: (value, length)."""
    first = data[offset]
    length = 1
    mask = 0x80
    while length <= 8 and not first & mask:
        mask >>= 1
        length += 1
    if length > 8:
        raise ValueError("bad EBML length")
    value = first if keep_marker else first & (mask - 1)
    for byte in data[offset + 1 : offset + length]:
        value = (value << 8) | byte
    return value, length


def _webm_duration(data: bytes) -> float | None:
    position = 0
    scale = 1_000_000
    duration: float | None = None
    # Walk EBML elements, stepping into the Segment and its Info; stop at the first Cluster (media data).
    for _ in range(_MAX_BOXES):
        if position >= len(data):
            break
        element, id_length = _vint(data, position, keep_marker=True)
        size, size_length = _vint(data, position + id_length, keep_marker=False)
        body = position + id_length + size_length
        if element in (_EBML_SEGMENT, _EBML_INFO):
            position = body
            continue
        if element == _EBML_CLUSTER:
            break
        if element == _EBML_TIMECODE_SCALE:
            scale = int.from_bytes(data[body : body + size], "big") or scale
        elif element == _EBML_DURATION and size in (4, 8):
            duration = struct.unpack(">f" if size == 4 else ">d", data[body : body + size])[0]
        position = body + size
    return duration * scale / 1_000_000_000 if duration is not None else None
