"""archives.py: zip packages read defensively — zip slip, symbolic links, encrypted members, too many or too large
members, zip bombs (by ratio, and by headers that lie about sizes), nested zips — each refused with its message,
and the limits enforced on what is actually read, not only on what the headers declare."""

from __future__ import annotations

import io
import os
import struct
import time
import warnings
import zipfile

import pytest

from syllabus.assessment import archives

MB = 1024 * 1024


def make_zip(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as package:
        for name, content in members.items():
            package.writestr(name, content)
    return buffer.getvalue()


def lie_about_size(content: bytes, name: str, size: int) -> bytes:
    """The zip with `name`'s uncompressed size replaced by `size` in both its local and central headers."""
    data = bytearray(content)
    start = 0
    while (found := data.find(b"PK\x01\x02", start)) != -1:
        name_length = struct.unpack_from("<H", data, found + 28)[0]
        if data[found + 46 : found + 46 + name_length].decode() == name:
            struct.pack_into("<I", data, found + 24, size)
            local = struct.unpack_from("<I", data, found + 42)[0]
            struct.pack_into("<I", data, local + 22, size)
        start = found + 4
    return bytes(data)


def refusal(content: bytes, **limits: int) -> str:
    with pytest.raises(archives.UnsafeArchive) as caught:
        archives.SafeZip(content, **limits)
    return str(caught.value)


def test_a_package_gives_exactly_the_members_asked_for() -> None:
    content = make_zip({"imsmanifest.xml": b"<manifest/>", "items/q1.xml": b"<q1/>", "items/q2.xml": b"<q2/>"})
    assert archives.read_members(content, ["items/q1.xml", "imsmanifest.xml"]) == {
        "items/q1.xml": b"<q1/>",
        "imsmanifest.xml": b"<manifest/>",
    }


def test_directories_are_not_members_and_names_are_normalised() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("items/", b"")
        package.writestr("items/./q1.xml", b"<q1/>")
    zipped = archives.SafeZip(buffer.getvalue())
    assert zipped.names == ["items/q1.xml"]
    assert zipped.read("items/q1.xml") == b"<q1/>"


@pytest.mark.parametrize(
    "name",
    ["../evil.xml", "items/../../evil.xml", "/etc/passwd", "C:/Windows/win.ini", "c:evil.xml", "items\\evil.xml",
     "..\\..\\evil.xml"],
    ids=["parent", "parent deep", "absolute", "drive letter", "drive relative", "backslash", "windows parent"],
)  # fmt: skip
def test_a_member_whose_path_could_escape_the_package_refuses_the_whole_package(name: str) -> None:
    content = make_zip({"imsmanifest.xml": b"<manifest/>", name: b"owned"})
    assert refusal(content) == archives.UNSAFE_PATH.format(name=name)


def test_a_symbolic_link_member_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        link = zipfile.ZipInfo("items/q1.xml")
        link.create_system = 3  # Unix
        link.external_attr = 0o120777 << 16  # a symlink, pointing at...
        package.writestr(link, "/etc/passwd")
    assert refusal(buffer.getvalue()) == archives.SYMLINK.format(name="items/q1.xml")


def test_an_encrypted_member_is_refused() -> None:
    # zipfile cannot write encrypted members: set the "encrypted" flag in both headers, as a real one has it.
    data = bytearray(make_zip({"items/q1.xml": b"\x00" * 64}))
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<H", data, central + 8, 0x1)
    struct.pack_into("<H", data, 6, 0x1)
    assert refusal(bytes(data)) == archives.ENCRYPTED.format(name="items/q1.xml")


def test_more_than_two_thousand_members_are_refused() -> None:
    content = make_zip({f"items/q{n}.xml": b"<q/>" for n in range(archives.MAX_MEMBERS + 1)}, compression=0)
    assert refusal(content) == archives.TOO_MANY_MEMBERS.format(limit=2000)


def test_a_member_over_twenty_megabytes_is_refused_from_its_header() -> None:
    content = make_zip({"big.xml": os.urandom(21 * MB)}, compression=zipfile.ZIP_STORED)
    assert refusal(content) == archives.MEMBER_TOO_LARGE.format(limit=20, name="big.xml")


def test_fifty_megabytes_of_zeros_squeezed_into_a_few_kilobytes_is_refused_before_inflating() -> None:
    content = make_zip({"bomb.xml": bytes(50 * MB)})
    assert len(content) < 100 * 1024
    started = time.monotonic()
    assert refusal(content) == archives.MEMBER_TOO_LARGE.format(limit=20, name="bomb.xml")
    assert time.monotonic() - started < 1


def test_a_member_declaring_a_gigabyte_is_refused_from_its_header() -> None:
    content = lie_about_size(make_zip({"bomb.xml": bytes(MB)}), "bomb.xml", 1024 * MB)
    assert refusal(content) == archives.MEMBER_TOO_LARGE.format(limit=20, name="bomb.xml")


def test_a_compression_ratio_over_a_hundred_to_one_is_refused_as_a_zip_bomb() -> None:
    content = make_zip({"bomb.xml": bytes(10 * MB)})  # under the member limit, but ~1000:1
    assert refusal(content) == archives.SUSPICIOUS_RATIO.format(limit=100, name="bomb.xml")


def test_small_members_may_compress_well() -> None:
    content = make_zip({"items/q1.xml": b" " * 200_000})
    assert archives.read_members(content, ["items/q1.xml"]) == {"items/q1.xml": b" " * 200_000}


def test_members_adding_up_to_more_than_two_hundred_megabytes_are_refused() -> None:
    # Each member's header claims 19 MB (under the member limit, ratio under 100:1): 11 of them pass 200 MB.
    members = {f"part{n}.xml": os.urandom(200 * 1024) for n in range(11)}
    content = make_zip(members, compression=zipfile.ZIP_STORED)
    for name in members:
        content = lie_about_size(content, name, 19 * MB)
    assert refusal(content) == archives.TOTAL_TOO_LARGE.format(limit=200)


def test_a_header_that_understates_the_size_does_not_get_more_bytes_out() -> None:
    # The header says 1,000 bytes; the member inflates to 5 MB. Nothing past the declared size is ever returned.
    content = lie_about_size(make_zip({"q1.xml": bytes(5 * MB)}), "q1.xml", 1000)
    zipped = archives.SafeZip(content)
    with pytest.raises(archives.UnsafeArchive) as caught:
        zipped.read("q1.xml")
    assert str(caught.value) == archives.DAMAGED.format(name="q1.xml")


def test_the_total_is_enforced_on_what_is_read_even_when_each_header_is_honest() -> None:
    zipped = archives.SafeZip(make_zip({"q1.xml": b"x" * 600_000}), max_total_bytes=MB)
    assert zipped.read("q1.xml") == b"x" * 600_000
    with pytest.raises(archives.UnsafeArchive) as caught:
        zipped.read("q1.xml")  # read again: 1.2 MB out of a package allowed 1 MB
    assert str(caught.value) == archives.TOTAL_TOO_LARGE.format(limit=1)


def test_a_zip_inside_the_package_is_never_opened() -> None:
    inner = make_zip({"items/q1.xml": b"<q1/>"})
    content = make_zip({"imsmanifest.xml": b"<manifest/>", "nested.zip": inner, "disguised.xml": inner})
    zipped = archives.SafeZip(content)
    for name in ("nested.zip", "disguised.xml"):
        with pytest.raises(archives.UnsafeArchive) as caught:
            zipped.read(name)
        assert str(caught.value) == archives.NESTED_ZIP.format(name=name)


def test_two_members_with_one_name_are_refused_as_ambiguous() -> None:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate it is told to write
        with zipfile.ZipFile(buffer, "w") as package:
            package.writestr("items/q1.xml", b"<good/>")
            package.writestr("items/q1.xml", b"<evil/>")
    assert refusal(buffer.getvalue()) == archives.DUPLICATE.format(name="items/q1.xml")


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 not really", b"<assessmentItem/>", os.urandom(512)],
                         ids=["empty", "truncated", "xml", "noise"])  # fmt: skip
def test_anything_but_a_zip_is_refused_as_not_a_zip(content: bytes) -> None:
    assert refusal(content) == archives.NOT_A_ZIP


def test_asking_for_a_member_the_package_lacks_names_it() -> None:
    zipped = archives.SafeZip(make_zip({"imsmanifest.xml": b"<manifest/>"}))
    for name in ("items/q9.xml", "../etc/passwd"):
        with pytest.raises(archives.UnsafeArchive) as caught:
            zipped.read(name)
        assert str(caught.value) == archives.MISSING.format(name=name)


def test_is_zip_tells_a_package_from_an_xml_file() -> None:
    assert archives.is_zip(make_zip({"a.xml": b"<a/>"}))
    assert archives.is_zip(make_zip({}))
    assert not archives.is_zip(b'<?xml version="1.0"?><assessmentItem/>')


# --- regressions: what zipfile lets escape is a refusal, never a crash of the import ---------------------------------


def _corrupt_payload(content: bytes, name: str) -> bytes:
    """The zip with the first bytes of `name`'s compressed data inverted (its headers untouched)."""
    data = bytearray(content)
    start = data.find(b"PK\x03\x04")
    name_length, extra_length = struct.unpack_from("<HH", data, start + 26)
    payload = start + 30 + name_length + extra_length
    for index in range(payload, payload + 16):
        data[index] ^= 0xFF
    return bytes(data)


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_a_member_whose_compressed_data_is_corrupt_is_damaged_not_a_crash(compression: int) -> None:
    # zlib.error (deflate) is not wrapped by zipfile: it escaped `read` and every format's `parse`.
    content = _corrupt_payload(make_zip({"imsmanifest.xml": b"<manifest>" * 400}, compression=compression), "x")
    with pytest.raises(archives.UnsafeArchive) as caught:
        archives.SafeZip(content).read("imsmanifest.xml")
    assert str(caught.value) == archives.DAMAGED.format(name="imsmanifest.xml")


def test_a_directory_entry_needing_an_unknown_zip_version_is_not_a_zip() -> None:
    # zipfile raises NotImplementedError for it while reading the directory, before any member is opened.
    data = bytearray(make_zip({"a.xml": b"<a/>"}))
    central = data.find(b"PK\x01\x02")
    data[central + 6] = 135  # "version needed to extract": 13.5
    assert refusal(bytes(data)) == archives.NOT_A_ZIP


@pytest.mark.parametrize("key", ["qti2", "qti12"])
def test_a_package_with_a_corrupt_member_is_a_problem_of_the_import(key: str) -> None:
    from syllabus.assessment.formats import base

    content = _corrupt_payload(make_zip({"imsmanifest.xml": b"<manifest>" * 400}), "imsmanifest.xml")
    result = base.get(key).parse(content, filename="package.zip")
    assert result.questions == []
    assert archives.DAMAGED.format(name="imsmanifest.xml") in [p.message for p in result.problems]
