"""Zip packages from outside (QTI and content packages, Canvas and Blackboard exports), read defensively.

A package is hostile until proven otherwise. Before anything is decompressed the central directory is checked:
every member name must be a plain relative path (no zip slip: no absolute path, no `..`, no drive letter, no
backslash), no member may be a symbolic link or encrypted, and the counts and sizes must stay under the limits
below — including the compression ratio, which is what gives a zip bomb away. The headers can lie, so the same
limits are enforced again while reading: a member is read in chunks and abandoned as soon as it passes its
declared size or a limit. Nothing is ever extracted to disk, and a zip inside the package is never opened.

    package = SafeZip(content)               # UnsafeArchive if the package is refused
    files = package.read_many(["imsmanifest.xml", "items/q1.xml"])   # {path: bytes}

`read_members(content, names)` does both at once.
"""

from __future__ import annotations

import io
import lzma
import posixpath
import re
import stat
import zipfile
import zlib
from collections.abc import Iterable

NOT_A_ZIP = "The file is not a zip package."
UNSAFE_PATH = "The package holds a file with an unsafe path ({name}): Syllabus refuses it."
SYMLINK = "The package holds a symbolic link ({name}): Syllabus refuses it."
ENCRYPTED = "The package holds an encrypted file ({name}): Syllabus cannot read it."
TOO_MANY_MEMBERS = "The package holds more than {limit} files."
TOTAL_TOO_LARGE = "The package unpacks to more than {limit} MB."
MEMBER_TOO_LARGE = "A file in the package is larger than {limit} MB ({name})."
SUSPICIOUS_RATIO = "A file in the package is compressed more than {limit}:1 ({name}), as zip bombs are: refused."
NESTED_ZIP = "The package holds another zip ({name}), which Syllabus does not open."
DUPLICATE = "The package holds two files named {name}."
MISSING = "The package has no file {name}."
DAMAGED = "The package is damaged: {name} cannot be read."

MAX_MEMBERS = 2000
MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_MEMBER_BYTES = 20 * 1024 * 1024
MAX_RATIO = 100
# Tiny members compress absurdly well (a 4 KB run of spaces) and can do no harm: the ratio rule starts here.
RATIO_FLOOR_BYTES = 1024 * 1024
CHUNK = 64 * 1024

_DRIVE = re.compile(r"^[A-Za-z]:")
# What zipfile lets escape for a damaged or odd package: NotImplementedError for a version or method it lacks (raised
# while reading the directory too), and the decompressors' own errors (zlib.error, LZMAError), which zipfile does not
# wrap. Each would otherwise leave `parse` as a crash instead of a refusal.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,
    EOFError,
    OSError,
    ValueError,
    zlib.error,
    lzma.LZMAError,
)
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")


class UnsafeArchive(ValueError):
    """The package is refused (or one of its members cannot be read); the message says why, for the author."""


def _mb(limit: int) -> int:
    return limit // (1024 * 1024)


def safe_name(name: str) -> str | None:
    """`name` as a normalised relative path, or None when it could escape the package or means something else on
    another system (absolute, `..`, a drive letter, a backslash, a NUL)."""
    if not name or "\\" in name or "\x00" in name or name.startswith("/") or _DRIVE.match(name):
        return None
    parts = name.split("/")
    if any(part == ".." for part in parts):
        return None
    normal = posixpath.normpath(name)
    if normal in {".", ""} or normal.startswith("../") or normal.startswith("/"):
        return None
    return normal


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    # Unix attributes live in the high 16 bits of external_attr (only when the archive was made on Unix).
    mode = info.external_attr >> 16
    return info.create_system == 3 and stat.S_ISLNK(mode)


class SafeZip:
    """A zip package whose directory passed every check; members are read with the limits enforced again."""

    def __init__(
        self,
        content: bytes,
        *,
        max_members: int = MAX_MEMBERS,
        max_total_bytes: int = MAX_TOTAL_BYTES,
        max_member_bytes: int = MAX_MEMBER_BYTES,
        max_ratio: int = MAX_RATIO,
    ) -> None:
        self.max_total_bytes = max_total_bytes
        self.max_member_bytes = max_member_bytes
        self.max_ratio = max_ratio
        self._read_total = 0
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(content))
            infos = self._zip.infolist()
        except _ZIP_ERRORS:
            raise UnsafeArchive(NOT_A_ZIP) from None
        if len(infos) > max_members:
            raise UnsafeArchive(TOO_MANY_MEMBERS.format(limit=max_members))
        self._members: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            shown = info.filename[:200]
            name = safe_name(info.filename)
            if name is None:
                raise UnsafeArchive(UNSAFE_PATH.format(name=shown))
            if _is_symlink(info):
                raise UnsafeArchive(SYMLINK.format(name=shown))
            if info.flag_bits & 0x1:
                raise UnsafeArchive(ENCRYPTED.format(name=shown))
            if info.is_dir():
                continue
            self._check_sizes(name, info.file_size, info.compress_size)
            total += info.file_size
            if total > max_total_bytes:
                raise UnsafeArchive(TOTAL_TOO_LARGE.format(limit=_mb(max_total_bytes)))
            if name in self._members:
                raise UnsafeArchive(DUPLICATE.format(name=shown))
            self._members[name] = info

    def _check_sizes(self, name: str, size: int, compressed: int) -> None:
        if size > self.max_member_bytes:
            raise UnsafeArchive(MEMBER_TOO_LARGE.format(limit=_mb(self.max_member_bytes), name=name))
        if size > RATIO_FLOOR_BYTES and size > self.max_ratio * max(compressed, 1):
            raise UnsafeArchive(SUSPICIOUS_RATIO.format(limit=self.max_ratio, name=name))

    @property
    def names(self) -> list[str]:
        """The files of the package (directories left out), as normalised relative paths, in directory order."""
        return list(self._members)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._members

    def read(self, name: str) -> bytes:
        """One member's bytes. The limits are enforced on what actually comes out, not on what the headers say."""
        normal = safe_name(name)
        info = self._members.get(normal or "")
        if normal is None or info is None:
            raise UnsafeArchive(MISSING.format(name=name[:200]))
        limit = min(info.file_size, self.max_member_bytes, self.max_total_bytes - self._read_total)
        chunks: list[bytes] = []
        size = 0
        try:
            with self._zip.open(info) as stream:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        self._refuse_growth(normal, size)
                    if size > RATIO_FLOOR_BYTES and size > self.max_ratio * max(info.compress_size, 1):
                        raise UnsafeArchive(SUSPICIOUS_RATIO.format(limit=self.max_ratio, name=normal))
                    chunks.append(chunk)
        except _ZIP_ERRORS as exc:
            if isinstance(exc, UnsafeArchive):
                raise
            raise UnsafeArchive(DAMAGED.format(name=normal)) from None
        self._read_total += size
        data = b"".join(chunks)
        if data.startswith(_ZIP_MAGIC):
            raise UnsafeArchive(NESTED_ZIP.format(name=normal))
        return data

    def _refuse_growth(self, name: str, size: int) -> None:
        if self._read_total + size > self.max_total_bytes:
            raise UnsafeArchive(TOTAL_TOO_LARGE.format(limit=_mb(self.max_total_bytes)))
        if size > self.max_member_bytes:
            raise UnsafeArchive(MEMBER_TOO_LARGE.format(limit=_mb(self.max_member_bytes), name=name))
        # More than the header declared: the header lied, so nothing about this member can be trusted.
        raise UnsafeArchive(DAMAGED.format(name=name))

    def read_many(self, names: Iterable[str]) -> dict[str, bytes]:
        return {name: self.read(name) for name in names}


def is_zip(content: bytes) -> bool:
    """Whether `content` looks like a zip (what the formats use to tell a package from a single XML file)."""
    return content[:4] in _ZIP_MAGIC


def read_members(content: bytes, names: Iterable[str]) -> dict[str, bytes]:
    """{path: bytes} for the members asked for, or UnsafeArchive: the one-call form of `SafeZip`."""
    return SafeZip(content).read_many(names)
