"""Baking: an Open Badge credential carried inside its image (1EdTech Open Badges 3.0, section 5.3).

- PNG: one `iTXt` chunk, keyword `openbadgecredential`, text = the compact JWS. It MUST NOT appear more than once:
  baking again replaces it; extraction reads the first.
- SVG: `xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"` on the `<svg>` element, and directly after its
  start tag `<openbadges:credential verify="COMPACT-JWS"></openbadges:credential>`.

Images come from anyone (the verification form), so reading them is defensive: PNG chunks are walked by hand
and pixel data is never decompressed (an image bomb costs nothing), a compressed text chunk is inflated only up to
the size of a credential; SVG is read with expat refusing any DTD, so no entity is ever declared or expanded
(XXE, billion laughs). lxml is not a dependency of the project; this is defusedxml's approach on the stdlib parser.
"""

from __future__ import annotations

import re
import struct
import zlib
from xml.parsers import expat
from xml.sax.saxutils import quoteattr

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEYWORD = b"openbadgecredential"
OB_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
# A credential is a few kilobytes; anything this large is not one (and inflating further is what a bomb wants).
CREDENTIAL_LIMIT = 64 * 1024

NOT_A_PNG = "This is not a PNG image."
BROKEN_PNG = "The PNG image is damaged: {problem}."
NOT_AN_SVG = "This is not an SVG image."
BROKEN_SVG = "The SVG image could not be read: {problem}."
SVG_DTD_REFUSED = "SVG images with a DOCTYPE or entity declarations are refused (they can read files or explode)."
CREDENTIAL_TOO_LARGE = "The credential inside the image is larger than {limit} kB."


class BakingError(ValueError):
    """An image that cannot be baked or read; the message says why, in plain words."""


# --- PNG ---------------------------------------------------------------------------------------------------------


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """The (type, data) chunks of a PNG, with their CRCs checked; stops at IEND."""
    if not png.startswith(PNG_SIGNATURE):
        raise BakingError(NOT_A_PNG)
    out: list[tuple[bytes, bytes]] = []
    at = len(PNG_SIGNATURE)
    while True:
        if at + 8 > len(png):
            raise BakingError(BROKEN_PNG.format(problem="it ends before its last chunk"))
        length, kind = struct.unpack(">I4s", png[at : at + 8])
        end = at + 8 + length + 4
        if end > len(png):
            raise BakingError(BROKEN_PNG.format(problem="a chunk runs past the end of the file"))
        data = png[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", png[at + 8 + length : end])
        if zlib.crc32(kind + data) != crc:
            raise BakingError(BROKEN_PNG.format(problem=f"the checksum of a {kind.decode('latin-1')} chunk is wrong"))
        if not out and kind != b"IHDR":
            raise BakingError(BROKEN_PNG.format(problem="it does not start with its header"))
        out.append((kind, data))
        at = end
        if kind == b"IEND":
            return out


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _itxt_keyword(data: bytes) -> bytes:
    return data.split(b"\x00", 1)[0]


def _itxt_text(data: bytes) -> str:
    """The text of an iTXt chunk: keyword NUL, compression flag, method, language NUL, translated keyword NUL."""
    try:
        _keyword, rest = data.split(b"\x00", 1)
        flag, method = rest[0], rest[1]
        _language, rest = rest[2:].split(b"\x00", 1)
        _translated, text = rest.split(b"\x00", 1)
    except (ValueError, IndexError) as exc:
        raise BakingError(BROKEN_PNG.format(problem="its credential chunk is malformed")) from exc
    if flag == 1:
        if method != 0:
            raise BakingError(BROKEN_PNG.format(problem="its credential chunk uses an unknown compression"))
        inflater = zlib.decompressobj()
        try:
            text = inflater.decompress(text, CREDENTIAL_LIMIT + 1)
        except zlib.error as exc:
            raise BakingError(BROKEN_PNG.format(problem="its credential chunk does not decompress")) from exc
    if len(text) > CREDENTIAL_LIMIT:
        raise BakingError(CREDENTIAL_TOO_LARGE.format(limit=CREDENTIAL_LIMIT // 1024))
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BakingError(BROKEN_PNG.format(problem="its credential is not UTF-8 text")) from exc


def bake_png(png: bytes, jws: str) -> bytes:
    """`png` carrying `jws` in one uncompressed iTXt chunk right after the header (any earlier one is removed)."""
    chunks = [(kind, data) for kind, data in _chunks(png) if not (kind == b"iTXt" and _itxt_keyword(data) == KEYWORD)]
    credential = KEYWORD + b"\x00" + b"\x00\x00" + b"\x00" + b"\x00" + jws.encode("utf-8")
    out = [PNG_SIGNATURE, _chunk(*chunks[0]), _chunk(b"iTXt", credential)]
    out += [_chunk(kind, data) for kind, data in chunks[1:]]
    return b"".join(out)


def extract_png(png: bytes) -> str | None:
    """The credential baked into `png` (the first one), or None. Never decompresses pixel data."""
    for kind, data in _chunks(png):
        if kind == b"iTXt" and _itxt_keyword(data) == KEYWORD:
            return _itxt_text(data)
    return None


# --- SVG ---------------------------------------------------------------------------------------------------------

# The <svg> start tag: attribute values may hold ">" inside quotes.
SVG_START = re.compile(r"""<svg\b(?:[^>"']|"[^"]*"|'[^']*')*>""")
CREDENTIAL_ELEMENT = re.compile(
    r"""\s*<openbadges:credential\b(?:[^>"']|"[^"]*"|'[^']*')*?(?:/>|>.*?</openbadges:credential>)""", re.S
)
NAMESPACE_DECLARATION = re.compile(r"""\sxmlns:openbadges\s*=\s*("[^"]*"|'[^']*')""")


def bake_svg(svg: str, jws: str) -> str:
    """`svg` carrying `jws`: the namespace on <svg>, the credential element directly after the start tag (any
    earlier credential element is removed). Meant for our own badge images (badge_image.py)."""
    svg = CREDENTIAL_ELEMENT.sub("", svg)
    match = SVG_START.search(svg)
    if match is None:
        raise BakingError(NOT_AN_SVG)
    start = match.group(0)
    if not NAMESPACE_DECLARATION.search(start):
        closing = "/>" if start.endswith("/>") else ">"
        start = f'{start[: -len(closing)]} xmlns:openbadges="{OB_NAMESPACE}"{closing}'
    element = f"<openbadges:credential verify={quoteattr(jws)}></openbadges:credential>"
    return svg[: match.start()] + start + element + svg[match.end() :]


class _CredentialReader:
    """Streams an SVG through expat and keeps the first OB credential element's `verify` attribute or text."""

    def __init__(self) -> None:
        self.parser = expat.ParserCreate(namespace_separator=" ")
        # No DTD, so no entity can be declared: refuse at the DOCTYPE, before expat reads any declaration.
        self.parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self.parser.StartDoctypeDeclHandler = self._refuse
        self.parser.EntityDeclHandler = self._refuse
        self.parser.UnparsedEntityDeclHandler = self._refuse
        self.parser.ExternalEntityRefHandler = self._refuse_reference
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._text
        self.root: str | None = None
        self.found: str | None = None
        self.inside = False
        self.done = False
        self.buffer: list[str] = []
        self.size = 0

    def _refuse(self, *args: object) -> None:
        raise BakingError(SVG_DTD_REFUSED)

    def _refuse_reference(self, context: str, base: str | None, system_id: str | None, public_id: str | None) -> int:
        raise BakingError(SVG_DTD_REFUSED)

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        if self.root is None:
            self.root = name
        if self.done or self.inside:
            return
        if name == f"{OB_NAMESPACE} credential":
            verify = attributes.get("verify")
            if verify:
                self.found, self.done = verify, True
            else:
                self.inside = True

    def _end(self, name: str) -> None:
        if self.inside and name == f"{OB_NAMESPACE} credential":
            self.inside, self.done = False, True
            self.found = "".join(self.buffer).strip() or None

    def _text(self, data: str) -> None:
        if self.inside:
            self.size += len(data)
            if self.size > CREDENTIAL_LIMIT:
                raise BakingError(CREDENTIAL_TOO_LARGE.format(limit=CREDENTIAL_LIMIT // 1024))
            self.buffer.append(data)

    def read(self, svg: bytes) -> str | None:
        try:
            self.parser.Parse(svg, True)
        except expat.ExpatError as exc:
            raise BakingError(BROKEN_SVG.format(problem=expat.ErrorString(exc.code))) from exc
        if self.root != "http://www.w3.org/2000/svg svg":
            raise BakingError(NOT_AN_SVG)
        if self.found is not None and len(self.found) > CREDENTIAL_LIMIT:
            raise BakingError(CREDENTIAL_TOO_LARGE.format(limit=CREDENTIAL_LIMIT // 1024))
        return self.found


def extract_svg(svg: str | bytes) -> str | None:
    """The credential baked into `svg` (the first `openbadges:credential`: its `verify` attribute, else its text,
    for a credential embedded as JSON), or None. Raises BakingError for anything but a well-formed SVG without DTD."""
    return _CredentialReader().read(svg.encode("utf-8") if isinstance(svg, str) else svg)
