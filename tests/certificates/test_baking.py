"""Baked badges: PNG and SVG round trips, hostile images (XXE, billion laughs, decompression bombs, oversized
files), the badge drawings, and the holder's downloads seen from the attacker's side."""

# Fixtures imported from badge_fixtures are redefined as test parameters, as pytest intends.
# ruff: noqa: F811

from __future__ import annotations

import io
import json
import struct
import time
import zlib
from xml.etree import ElementTree

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from syllabus.certificates import badge_image, baking, credentials, verification
from tests.certificates.badge_fixtures import fresh_rate_limits, issued  # noqa: F401 (fixtures)
from tests.certificates.conftest import NOW, finish

pytestmark = pytest.mark.django_db

JWS = "eyJhbGciOiJSUzI1NiJ9.eyJpZCI6IngifQ.c2lnbmF0dXJl"


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_chunks(png: bytes) -> list[bytes]:
    kinds, at = [], 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kinds.append(png[at + 4 : at + 8])
        at += 12 + length
    return kinds


def zeros_compressed(total: int) -> bytes:
    compressor = zlib.compressobj(9)
    block = b"\x00" * (1024 * 1024)
    out = [compressor.compress(block) for _ in range(total // len(block))]
    return b"".join(out) + compressor.flush()


# --- PNG ---------------------------------------------------------------------------------------------------------


def test_png_bake_then_extract_gives_the_credential_back():
    png = badge_image.png(name="Fire safety", color="#b91c1c")
    baked = baking.bake_png(png, JWS)
    assert baking.extract_png(baked) == JWS
    assert png_chunks(baked)[:2] == [b"IHDR", b"iTXt"]
    Image.open(io.BytesIO(baked)).verify()  # still a valid PNG


def test_baking_a_png_twice_replaces_the_credential_instead_of_adding_one():
    baked = baking.bake_png(baking.bake_png(badge_image.png(name="A", color=None), "first.a.b"), JWS)
    assert png_chunks(baked).count(b"iTXt") == 1
    assert baking.extract_png(baked) == JWS


def test_extraction_reads_the_first_credential_of_a_png_that_has_two():
    png = badge_image.png(name="A", color=None)
    first = b"openbadgecredential\x00\x00\x00\x00\x00one.a.b"
    second = b"openbadgecredential\x00\x00\x00\x00\x00two.a.b"
    doubled = png[:33] + chunk(b"iTXt", first) + chunk(b"iTXt", second) + png[33:]
    assert baking.extract_png(doubled) == "one.a.b"


def test_a_compressed_itxt_credential_is_read():
    text = b"openbadgecredential\x00\x01\x00\x00\x00" + zlib.compress(JWS.encode())
    png = badge_image.png(name="A", color=None)
    assert baking.extract_png(png[:33] + chunk(b"iTXt", text) + png[33:]) == JWS


def test_a_png_decompression_bomb_costs_nothing_to_read():
    """A 60000×60000 image whose pixel data inflates to 256 MB: the pixels are never decompressed."""
    header = struct.pack(">IIBBBBB", 60000, 60000, 8, 0, 0, 0, 0)
    bomb = baking.PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zeros_compressed(256 * 1024 * 1024))
    bomb += chunk(b"IEND", b"")
    baked = baking.bake_png(bomb, JWS)
    started = time.monotonic()
    assert baking.extract_png(baked) == JWS
    assert verification.verify_upload(baked).reasons == [verification.NO_KEY_ID]
    assert time.monotonic() - started < 2


def test_a_compressed_credential_bomb_is_refused_after_64_kb():
    text = b"openbadgecredential\x00\x01\x00\x00\x00" + zeros_compressed(64 * 1024 * 1024)
    png = badge_image.png(name="A", color=None)
    bomb = png[:33] + chunk(b"iTXt", text) + png[33:]
    result = verification.verify_upload(bomb)
    assert result.reasons == [baking.CREDENTIAL_TOO_LARGE.format(limit=64)]


def test_a_damaged_png_is_refused_in_words():
    png = baking.bake_png(badge_image.png(name="A", color=None), JWS)
    broken = png[:40] + bytes([png[40] ^ 0xFF]) + png[41:]
    result = verification.verify_upload(broken)
    assert result.reasons and result.reasons[0].startswith("The PNG image is damaged")
    assert verification.verify_upload(png[:50]).reasons[0].startswith("The PNG image is damaged")


# --- SVG ---------------------------------------------------------------------------------------------------------


def test_svg_bake_then_extract_gives_the_credential_back():
    baked = baking.bake_svg(badge_image.svg(name="Fire safety", color="#b91c1c"), JWS)
    assert f'xmlns:openbadges="{baking.OB_NAMESPACE}"' in baked.split(">", 1)[0]
    start_tag_end = baked.index(">") + 1
    assert baked[start_tag_end:].startswith(f'<openbadges:credential verify="{JWS}"></openbadges:credential>')
    assert baking.extract_svg(baked) == JWS


def test_baking_an_svg_twice_replaces_the_credential():
    baked = baking.bake_svg(baking.bake_svg(badge_image.svg(name="A", color=None), "first.a.b"), JWS)
    assert baked.count("<openbadges:credential") == 1
    assert baked.count("xmlns:openbadges") == 1
    assert baking.extract_svg(baked) == JWS


def test_a_credential_embedded_as_json_in_an_svg_is_read():
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{baking.OB_NAMESPACE}">'
        '<openbadges:credential><![CDATA[{"id": "x"}]]></openbadges:credential></svg>'
    )
    assert baking.extract_svg(svg) == '{"id": "x"}'


XXE = (
    '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{baking.OB_NAMESPACE}">'
    '<openbadges:credential verify="&xxe;"></openbadges:credential></svg>'
)
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + "]>"
    f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{baking.OB_NAMESPACE}">'
    '<openbadges:credential verify="&lol9;"></openbadges:credential></svg>'
)


@pytest.mark.parametrize("svg", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_svgs_with_entities_are_refused(svg):
    with pytest.raises(baking.BakingError) as caught:
        baking.extract_svg(svg)
    assert str(caught.value) == baking.SVG_DTD_REFUSED
    result = verification.verify_upload(svg.encode())
    assert result.reasons == [baking.SVG_DTD_REFUSED]
    assert result.source == "svg"


def test_an_external_dtd_is_refused_too():
    svg = '<!DOCTYPE svg SYSTEM "http://evil.example/x.dtd"><svg xmlns="http://www.w3.org/2000/svg"/>'
    assert verification.verify_upload(svg.encode()).reasons == [baking.SVG_DTD_REFUSED]


def test_malformed_xml_and_non_svg_xml_are_refused_in_words():
    assert verification.verify_upload(b"<svg><unclosed></svg>").reasons[0].startswith("The SVG image could not be read")
    assert verification.verify_upload(b"<html xmlns='x'></html>").reasons == [baking.NOT_AN_SVG]


def test_an_svg_without_a_credential_says_so():
    assert verification.verify_upload(badge_image.svg(name="A", color=None).encode()).reasons == [
        verification.NO_BAKED_CREDENTIAL
    ]


# --- files: sniffed, capped ---------------------------------------------------------------------------------


def test_an_oversized_upload_is_refused_without_reading_it_all():
    big = SimpleUploadedFile("badge.png", baking.PNG_SIGNATURE + b"\x00" * verification.UPLOAD_LIMIT)
    assert verification.verify_upload(big).reasons == [verification.UPLOAD_TOO_LARGE.format(limit=5)]
    assert verification.verify_upload(b"x" * (verification.UPLOAD_LIMIT + 1)).reasons == [
        verification.UPLOAD_TOO_LARGE.format(limit=5)
    ]


def test_the_content_decides_not_the_file_name(issued):
    disguised = SimpleUploadedFile(
        "badge.svg", baking.bake_png(badge_image.png(name="A", color=None), issued.credential)
    )
    result = verification.verify_upload(disguised)
    assert result.ok and result.source == "png"


def test_binary_junk_is_not_a_badge():
    assert verification.verify_upload(b"\xff\xd8\xff\xe0 jpeg-ish \xff\xfe").reasons == [
        verification.NOT_A_FILE_WE_READ
    ]


def test_a_baked_png_and_svg_of_an_issued_certificate_verify(issued):
    png = baking.bake_png(badge_image.png(name="A", color=None), issued.credential)
    svg = baking.bake_svg(badge_image.svg(name="A", color=None), issued.credential)
    assert verification.verify_upload(png).ok
    assert verification.verify_upload(svg.encode()).ok


# --- the badge drawings ---------------------------------------------------------------------------------------


def test_badge_images_are_deterministic():
    assert badge_image.svg(name="Fire safety", color="#123456") == badge_image.svg(name="Fire safety", color="#123456")
    assert badge_image.png(name="Fire safety", color="#123456") == badge_image.png(name="Fire safety", color="#123456")
    image = Image.open(io.BytesIO(badge_image.png(name="Fire safety", color="#123456")))
    assert image.size == (512, 512)


def test_a_hostile_achievement_name_is_escaped_in_the_svg():
    name = '<script>alert(1)</script> & "quoted" </svg><svg onload=alert(2)>'
    svg = badge_image.svg(name=name, color='#fff" onload="alert(3)')
    root = ElementTree.fromstring(svg)  # our own output: well-formed, whatever the name
    tags = {element.tag.split("}")[1] for element in root.iter()}
    assert tags == {"svg", "title", "polygon", "circle", "text", "tspan"}
    assert not [name for element in root.iter() for name in element.attrib if name.lower().startswith("on")]
    assert root.find("{http://www.w3.org/2000/svg}title").text == name
    assert badge_image.DEFAULT_COLOR in svg  # the invalid colour was not used


def test_long_and_unicode_names_wrap_into_at_most_four_lines():
    rows = badge_image.lines("Ŝafeco de laborejo kaj unua helpo por ĉiuj dungitoj de la entrepreno 2026 — Ĉapitro 1")
    assert 1 < len(rows) <= badge_image.MAX_LINES
    assert rows[-1].endswith("…")
    assert badge_image.png(name="Zoë Ørsted — 安全", color=None)


# --- the holder's downloads -------------------------------------------------------------------------------------


def url(certificate, extension):
    return reverse(f"certificates:badge-{extension}", args=[certificate.public_id])


def test_the_holder_downloads_json_jwt_png_and_svg(client, world, issued):
    client.force_login(world.learner.user)
    name = f"anti-bribery-{NOW.date().isoformat()}"

    as_json = client.get(url(issued, "json"))
    assert as_json.status_code == 200
    assert as_json["Content-Disposition"] == f'attachment; filename="{name}.json"'
    assert json.loads(as_json.content) == credentials.document_of(issued.credential)

    as_jwt = client.get(url(issued, "jwt"))
    assert as_jwt.content.decode() == issued.credential
    assert as_jwt["Content-Type"] == "application/jwt"

    as_png = client.get(url(issued, "png"))
    assert as_png["Content-Type"] == "image/png"
    assert baking.extract_png(as_png.content) == issued.credential
    assert "no-store" in as_png["Cache-Control"]

    as_svg = client.get(url(issued, "svg"))
    assert baking.extract_svg(as_svg.content) == issued.credential


def test_a_certificate_manager_may_download_someone_elses_badge(client, officer, issued):
    client.force_login(officer.user)
    assert client.get(url(issued, "jwt")).status_code == 200


@pytest.mark.parametrize("persona", ["engineer", "manager", "report", "outsider"])
def test_others_get_not_found_for_a_badge_they_may_not_see(client, world, issued, persona):
    client.force_login(getattr(world, persona).user)
    for extension in ("json", "jwt", "png", "svg"):
        assert client.get(url(issued, extension)).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, issued):
    response = client.get(url(issued, "png"))
    assert response.status_code == 302
    assert reverse("accounts:sign-in") in response["Location"]


def test_a_certificate_issued_without_a_badge_has_no_downloads(client, world, award, moved_clock):
    from syllabus.certificates.services import issuing

    award.issue_badge = False
    award.save()
    certificate = issuing.issue_for_course_completion(finish(world.learner, award.course, NOW).pk)
    assert certificate.credential == ""
    client.force_login(world.learner.user)
    assert client.get(url(certificate, "json")).status_code == 404
