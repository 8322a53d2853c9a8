"""Rebuild the demo's binary files under `files/` (run by hand; the app and the tests only read the results).

    .venv/bin/python syllabus/catalog/demo/make_files.py

Needs `ffmpeg` (VP9 + Opus) and `espeak-ng` on the PATH and the DejaVu / Liberation fonts (Debian: `apt-get install
ffmpeg espeak-ng fonts-dejavu-core fonts-liberation`). It writes:
- `handwashing.webm`: the WHO handwashing steps as narrated title cards (640×360, about 50 s, well under 1 MB);
- `handwashing.vtt` and `handwashing-transcript.txt`: captions timed on the narration, and its transcript;
- `fire-evacuation-plan-ward-7.pdf`, `acceptable-use-of-it-policy.pdf`, `safeguarding-adults-quick-guide.pdf`:
  small text-and-vector PDFs written by the tiny PDF writer below (the project has no PDF library yet, and these
  need only the PDF base-14 fonts, text and lines).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
import textwrap
import wave
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FILES = Path(__file__).resolve().parent / "files"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
LIBERATION = Path("/usr/share/fonts/truetype/liberation")
NAVY = (11, 83, 148)  # Northwind's primary colour (#0b5394)
TEAL = (0, 128, 107)  # Northwind's accent colour (#00806b)
INK = (22, 27, 34)
PAPER = (248, 250, 252)


# --- the handwashing video ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    heading: str  # big text on the card
    narration: str  # spoken, and the caption
    step: int | None = None  # 1..11 for the WHO steps


STEPS = 11
CARDS = (
    Card(
        "How to wash your hands",
        "How to wash your hands with soap and water.",
    ),
    Card("Wet hands with water", "Wet your hands with water.", 1),
    Card("Apply enough soap to cover all hand surfaces", "Apply enough soap to cover all hand surfaces.", 2),
    Card("Rub hands palm to palm", "Rub your hands palm to palm.", 3),
    Card(
        "Right palm over the back of the left hand, fingers interlaced, and vice versa",
        "Right palm over the back of the left hand, fingers interlaced. Then swap hands.",
        4,
    ),
    Card("Palm to palm with fingers interlaced", "Palm to palm, with fingers interlaced.", 5),
    Card(
        "Backs of fingers to opposing palms, fingers interlocked",
        "Backs of the fingers to the opposite palm, fingers interlocked.",
        6,
    ),
    Card(
        "Rub each thumb, clasped in the other palm",
        "Rub each thumb in turn, clasped in the opposite palm.",
        7,
    ),
    Card(
        "Rub clasped fingertips in the other palm, both ways",
        "Rub your fingertips in the opposite palm, backwards and forwards. Then swap hands.",
        8,
    ),
    Card("Rinse hands with water", "Rinse your hands with water.", 9),
    Card("Dry thoroughly with a single-use towel", "Dry your hands thoroughly with a single-use towel.", 10),
    Card("Use the towel to turn off the tap", "Use the towel to turn off the tap.", 11),
    Card(
        "Your hands are now clean",
        "Your hands are now clean.",
    ),
)
WIDTH, HEIGHT, FPS = 640, 360, 10
PAUSE = 0.35  # seconds of silence after each line of narration


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(DEJAVU / name), size)


def _draw_card(card: Card, path: Path) -> None:
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 44), fill=NAVY)
    draw.text((20, 12), "Northwind Health  ·  Hand hygiene", font=_font("DejaVuSans-Bold.ttf", 17), fill="white")
    if card.step is None:
        lines = textwrap.wrap(card.heading, 22)
        top = 150 - 26 * len(lines)
        for number, line in enumerate(lines):
            draw.text(
                (WIDTH // 2, top + 56 * number), line, font=_font("DejaVuSans-Bold.ttf", 42), fill=NAVY, anchor="mt"
            )
        draw.text(
            (WIDTH // 2, 250),
            "WHO technique  ·  40–60 seconds" if card is CARDS[0] else "Clean hands save lives",
            font=_font("DejaVuSans.ttf", 22),
            fill=TEAL,
            anchor="mt",
        )
    else:
        draw.ellipse((40, 110, 140, 210), fill=TEAL)
        draw.text((90, 160), str(card.step), font=_font("DejaVuSans-Bold.ttf", 50), fill="white", anchor="mm")
        lines = textwrap.wrap(card.heading, 24)
        top = 160 - 20 * len(lines)
        for number, line in enumerate(lines):
            draw.text((170, top + 40 * number), line, font=_font("DejaVuSans-Bold.ttf", 30), fill=INK, anchor="lt")
        # Progress along the eleven steps.
        left, right, y = 40, WIDTH - 40, 300
        draw.rounded_rectangle((left, y, right, y + 12), radius=6, fill=(214, 222, 232))
        done = left + (right - left) * card.step / STEPS
        draw.rounded_rectangle((left, y, int(done), y + 12), radius=6, fill=TEAL)
        draw.text(
            (WIDTH // 2, 322), f"Step {card.step} of {STEPS}", font=_font("DejaVuSans.ttf", 18), fill=INK, anchor="mt"
        )
    image.save(path)


def _speak(text: str, path: Path) -> float:
    """Narrate `text` into a WAV file with espeak-ng; returns its length in seconds."""
    subprocess.run(  # noqa: S603 - fixed arguments, run by a developer
        ["espeak-ng", "-v", "en-gb", "-s", "175", "-w", str(path), text],  # noqa: S607
        check=True,
    )
    with wave.open(str(path)) as sound:
        return sound.getnframes() / sound.getframerate()


def _timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"00:{minutes:02d}:{secs:02d}.{millis:03d}"


def make_video(work: Path) -> None:
    concat_images, concat_sounds, cues = [], [], []
    start = 0.0
    for number, card in enumerate(CARDS):
        picture, sound, silence = work / f"card{number}.png", work / f"line{number}.wav", work / f"pause{number}.wav"
        _draw_card(card, picture)
        spoken = _speak(card.narration, sound)
        with wave.open(str(sound)) as src, wave.open(str(silence), "wb") as out:
            out.setparams(src.getparams())
            out.writeframes(b"\0" * src.getsampwidth() * int(src.getframerate() * PAUSE))
        length = spoken + PAUSE
        concat_images += [f"file '{picture}'", f"duration {length:.3f}"]
        concat_sounds += [f"file '{sound}'", f"file '{silence}'"]
        cues.append((start, start + spoken, card.narration))
        start += length
    # The concat demuxer needs the last image once more to honour its duration.
    concat_images.append(f"file '{work / f'card{len(CARDS) - 1}.png'}'")
    (work / "images.txt").write_text("\n".join(concat_images) + "\n")
    (work / "sounds.txt").write_text("\n".join(concat_sounds) + "\n")
    target = FILES / "handwashing.webm"
    subprocess.run(  # noqa: S603 - fixed arguments, run by a developer
        [  # noqa: S607
            "ffmpeg", "-y", "-loglevel", "error",
            "-f", "concat", "-safe", "0", "-i", str(work / "images.txt"),
            "-f", "concat", "-safe", "0", "-i", str(work / "sounds.txt"),
            "-map", "0:v", "-map", "1:a", "-r", str(FPS), "-pix_fmt", "yuv420p",
            "-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "42", "-row-mt", "1", "-g", str(FPS * 5),
            "-c:a", "libopus", "-b:a", "24k", "-ac", "1",
            "-shortest", "-map_metadata", "-1", "-metadata", "title=How to wash your hands",
            str(target),
        ],
        check=True,
    )  # fmt: skip
    vtt = ["WEBVTT", ""]
    for number, (begin, end, text) in enumerate(cues, start=1):
        vtt += [
            str(number),
            f"{_timestamp(begin)} --> {_timestamp(end)}",
            *textwrap.wrap(text, 42, break_on_hyphens=False),
            "",
        ]
    (FILES / "handwashing.vtt").write_text("\n".join(vtt), encoding="utf-8")
    transcript = [
        "Narrated title cards show the World Health Organization's handwashing technique, step by step.",
        "",
    ]
    for card in CARDS:
        label = f"Step {card.step}: " if card.step else ""
        transcript.append(f"[Card: {label}{card.heading}]")
        transcript.append(card.narration)
        transcript.append("")
    (FILES / "handwashing-transcript.txt").write_text("\n".join(transcript), encoding="utf-8")


# --- a tiny PDF writer --------------------------------------------------------------------------------------------


@functools.cache
def _measure(bold: bool) -> ImageFont.FreeTypeFont:
    # Liberation Sans has Helvetica's metrics, so it measures text set in the PDF base-14 Helvetica fonts.
    name = "LiberationSans-Bold.ttf" if bold else "LiberationSans-Regular.ttf"
    return ImageFont.truetype(str(LIBERATION / name), 1000)


PAGE_W, PAGE_H, MARGIN = 595.28, 841.89, 56  # A4 in points


def _pdf_string(text: str) -> str:
    raw = text.encode("cp1252")
    out = []
    for byte in raw:
        char = chr(byte)
        if char in "()\\":
            out.append("\\" + char)
        elif byte < 32 or byte > 126:
            out.append(f"\\{byte:03o}")
        else:
            out.append(char)
    return "(" + "".join(out) + ")"


def _rgb(colour: tuple[int, int, int]) -> str:
    return " ".join(f"{c / 255:.3f}" for c in colour)


@dataclass
class Canvas:
    ops: list[str] = field(default_factory=list)
    y: float = PAGE_H - MARGIN

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float = 10.5,
        bold: bool = False,
        colour: tuple[int, int, int] = INK,
    ) -> None:
        font = "F2" if bold else "F1"
        self.ops.append(f"BT {_rgb(colour)} rg /{font} {size} Tf {x:.2f} {y:.2f} Td {_pdf_string(text)} Tj ET")

    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        *,
        fill: tuple[int, int, int] | None = None,
        stroke: tuple[int, int, int] | None = INK,
        width: float = 1,
    ) -> None:
        paint = "B" if fill and stroke else ("f" if fill else "S")
        colours = (f"{_rgb(fill)} rg " if fill else "") + (f"{_rgb(stroke)} RG " if stroke else "")
        self.ops.append(f"q {colours}{width} w {x:.2f} {y:.2f} {w:.2f} {h:.2f} re {paint} Q")

    def line(
        self,
        points: Sequence[tuple[float, float]],
        *,
        colour: tuple[int, int, int] = INK,
        width: float = 1,
        dash: str = "",
    ) -> None:
        path = " ".join(f"{x:.2f} {y:.2f} {'m' if i == 0 else 'l'}" for i, (x, y) in enumerate(points))
        self.ops.append(f"q {_rgb(colour)} RG {width} w {f'[{dash}] 0 d ' if dash else ''}{path} S Q")

    def arrow(self, start: tuple[float, float], end: tuple[float, float], *, colour: tuple[int, int, int]) -> None:
        self.line([start, end], colour=colour, width=2.2)
        (x1, y1), (x2, y2) = start, end
        length = max(((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5, 1)
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        left = (x2 - 8 * ux - 4 * uy, y2 - 8 * uy + 4 * ux)
        right = (x2 - 8 * ux + 4 * uy, y2 - 8 * uy - 4 * ux)
        self.ops.append(
            f"q {_rgb(colour)} rg {x2:.2f} {y2:.2f} m {left[0]:.2f} {left[1]:.2f} l {right[0]:.2f} {right[1]:.2f} l f Q"
        )

    # Flowing text, top to bottom.
    def wrap(self, text: str, *, size: float, bold: bool, width: float) -> list[str]:
        font = _measure(bold)
        lines, current = [], ""
        for word in text.split():
            candidate = f"{current} {word}".strip()
            if font.getlength(candidate) * size / 1000 <= width or not current:
                current = candidate
            else:
                lines.append(current)
                current = word
        if current:
            lines.append(current)
        return lines

    def heading(self, text: str, *, size: float = 14) -> None:
        self.y -= size * 0.6
        self.text(MARGIN, self.y - size, text, size=size, bold=True, colour=NAVY)
        self.y -= size * 1.6

    def paragraph(self, text: str, *, size: float = 10.5, indent: float = 0, bold: bool = False) -> None:
        for line in self.wrap(text, size=size, bold=bold, width=PAGE_W - 2 * MARGIN - indent):
            self.text(MARGIN + indent, self.y - size, line, size=size, bold=bold)
            self.y -= size * 1.4
        self.y -= size * 0.5

    def bullets(self, items: Sequence[str], *, size: float = 10.5, numbered: bool = False) -> None:
        for number, item in enumerate(items, start=1):
            marker = f"{number}." if numbered else "\u2022"
            self.text(MARGIN + 6, self.y - size, marker, size=size)
            lines = self.wrap(item, size=size, bold=False, width=PAGE_W - 2 * MARGIN - 22)
            for line in lines:
                self.text(MARGIN + 22, self.y - size, line, size=size)
                self.y -= size * 1.4
            self.y -= size * 0.3
        self.y -= size * 0.4


@dataclass
class Pdf:
    title: str
    pages: list[Canvas] = field(default_factory=list)

    def page(self, *, footer: str) -> Canvas:
        canvas = Canvas()
        self.pages.append(canvas)
        canvas.line([(MARGIN, 40), (PAGE_W - MARGIN, 40)], colour=(180, 190, 200), width=0.5)
        canvas.text(MARGIN, 28, footer, size=8, colour=(90, 100, 110))
        canvas.text(PAGE_W - MARGIN - 40, 28, f"Page {len(self.pages)}", size=8, colour=(90, 100, 110))
        return canvas

    def save(self, path: Path) -> None:
        objects: list[bytes] = []

        def add(body: bytes) -> int:
            objects.append(body)
            return len(objects)

        add(b"")  # 1: catalog, filled in below
        add(b"")  # 2: page tree, filled in below
        regular = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
        bold = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
        kids = []
        for canvas in self.pages:
            stream = zlib.compress("\n".join(canvas.ops).encode("latin-1"), 9)
            content = add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream")
            kids.append(
                add(
                    (
                        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] "
                        f"/Resources << /Font << /F1 {regular} 0 R /F2 {bold} 0 R >> >> /Contents {content} 0 R >>"
                    ).encode()
                )
            )
        info = add(
            f"<< /Title {_pdf_string(self.title)} /Author (Northwind Health) /Producer (Syllabus demo) >>".encode()
        )
        objects[0] = b"<< /Type /Catalog /Pages 2 0 R /Lang (en-GB) >>"
        objects[1] = f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>".encode()
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(objects, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
        out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
            len(objects) + 1,
            info,
            xref,
        )
        path.write_bytes(bytes(out))


RED = (190, 30, 45)
GREEN = (0, 122, 61)
GREY = (120, 130, 140)


def make_evacuation_plan() -> None:
    pdf = Pdf("Fire evacuation plan - Ward 7 (Cardiology), London")
    footer = "Northwind Health - Fire evacuation plan, Ward 7 - Fire Safety Adviser - reviewed every 12 months"
    page = pdf.page(footer=footer)
    page.text(MARGIN, PAGE_H - 70, "Fire evacuation plan", size=22, bold=True, colour=NAVY)
    page.text(MARGIN, PAGE_H - 92, "Ward 7 (Cardiology), 2nd floor, London site - 1 Riverside Walk", size=12)
    page.text(
        MARGIN,
        PAGE_H - 110,
        "In an emergency dial 2222, say \u201cFire\u201d, your ward and floor.",
        size=12,
        bold=True,
        colour=RED,
    )
    # Floor plan: two fire compartments either side of the central fire doors.
    left, bottom, width, height = MARGIN, 360, PAGE_W - 2 * MARGIN, 330
    page.rect(left, bottom, width, height, width=2)
    mid = left + width / 2
    corridor_low, corridor_high = bottom + 135, bottom + 195
    page.line([(left, corridor_low), (left + width, corridor_low)], width=1.2)
    page.line([(left, corridor_high), (left + width, corridor_high)], width=1.2)
    page.line([(mid, bottom), (mid, bottom + height)], colour=RED, width=3)
    page.text(mid - 48, bottom + height + 6, "Fire compartment line", size=8, colour=RED)
    page.text(left + 8, bottom + height - 18, "COMPARTMENT A", size=10, bold=True, colour=GREY)
    page.text(mid + 8, bottom + height - 18, "COMPARTMENT B", size=10, bold=True, colour=GREY)
    rooms_top = [("Bay 1 (6 beds)", left), ("Bay 2 (6 beds)", left + width / 4), ("Bay 3 (6 beds)", mid)]
    rooms_top.append(("Side rooms 1-4", mid + width / 4))
    for label, x in rooms_top:
        page.rect(x, corridor_high, width / 4, height - 195, stroke=INK, width=0.8)
        page.text(x + 10, corridor_high + 50, label, size=9)
    rooms_low = [("Nurses' station", left), ("Treatment room", left + width / 4), ("Day room", mid)]
    rooms_low.append(("Sluice / stores", mid + width / 4))
    for label, x in rooms_low:
        page.rect(x, bottom, width / 4, 135, stroke=INK, width=0.8)
        page.text(x + 10, bottom + 60, label, size=9)
    page.text(mid - 30, corridor_low + 24, "Fire doors", size=8, bold=True, colour=RED)
    # Stair exits at both ends, then escape arrows towards the neighbouring compartment and the stairs.
    for x, label in ((left - 4, "Stair 1 (exit)"), (left + width - 4, "Stair 2 (exit)")):
        page.rect(x, corridor_low + 5, 8, 50, fill=GREEN, stroke=None)
        label_width = _measure(True).getlength(label) * 9 / 1000
        label_x = left + 10 if x < mid else left + width - 10 - label_width
        page.text(label_x, corridor_low - 14, label, size=9, bold=True, colour=GREEN)
    page.arrow((left + 70, corridor_low + 30), (mid - 40, corridor_low + 30), colour=GREEN)
    page.arrow((mid + 40, corridor_low + 38), (left + width - 20, corridor_low + 38), colour=GREEN)
    page.arrow((left + 60, corridor_low + 22), (left + 14, corridor_low + 22), colour=GREEN)
    # Call points (red squares), extinguishers (red circles drawn as small squares with a label) and oxygen valves.
    for x, y in (
        (left + 20, corridor_high - 14),
        (mid - 24, corridor_high - 14),
        (left + width - 34, corridor_high - 14),
    ):
        page.rect(x, y, 10, 10, fill=RED, stroke=None)
    for x, y in ((left + 120, corridor_low + 4), (mid + 120, corridor_low + 4)):
        page.rect(x, y, 8, 12, fill=(40, 40, 40), stroke=None)
    page.rect(left + width / 4 - 20, corridor_high + 4, 12, 12, fill=(255, 196, 0), stroke=INK, width=0.5)
    page.rect(mid + width / 4 - 20, corridor_high + 4, 12, 12, fill=(255, 196, 0), stroke=INK, width=0.5)
    # Legend.
    page.y = bottom - 24
    legend = (
        (GREEN, "Escape route and exits: move away from the fire, through the fire doors, then to the stairs"),
        (RED, "Fire alarm call point (break glass)"),
        ((40, 40, 40), "Extinguishers: water mist at each end of the corridor, CO2 at the nurses' station"),
        ((255, 196, 0), "Medical gas (oxygen) zone valve box - closed only by the nurse in charge"),
    )
    for colour, label in legend:
        page.rect(MARGIN, page.y - 10, 10, 10, fill=colour, stroke=None)
        page.text(MARGIN + 18, page.y - 9, label, size=9.5)
        page.y -= 18
    page.y -= 6
    page.heading("Assembly point", size=12)
    page.paragraph(
        "Staff and walking patients who leave the building gather at Assembly Point C, the car park beside the "
        "main entrance on Riverside Walk. Report to the fire marshal in the yellow tabard; do not go back in "
        "until the fire service says it is safe."
    )

    page = pdf.page(footer=footer)
    page.heading("If you discover a fire", size=16)
    page.bullets(
        (
            "Raise the alarm: shout \u201cFire!\u201d and break the glass at the nearest call point.",
            "Dial 2222 and say \u201cFire\u201d, Ward 7, second floor, London site, and what you can see.",
            "Get people in immediate danger out of the room, then close the door behind you.",
            "Tackle a small fire only if you are trained, it is safe, and you have a clear exit behind you.",
            "Tell the nurse in charge, who takes charge of the ward until the fire response team arrives.",
        ),
        numbered=True,
    )
    page.heading("Progressive horizontal evacuation", size=14)
    page.paragraph(
        "Hospital wards are built in fire compartments that hold back fire and smoke for at least 30 minutes. "
        "Patients are moved horizontally first: through the fire doors into Compartment B, away from the fire, "
        "rather than down the stairs. Only if the fire spreads, or the fire service decides, is the floor "
        "evacuated vertically, using the protected stairs (never the lifts, unless a designated evacuation lift is "
        "operated by trained staff)."
    )
    page.bullets(
        (
            "Move patients nearest the fire first, then those who can walk, then those who need beds or chairs.",
            "Close every door you pass through. A closed door holds back smoke and fire.",
            "Take the ward's patient list so everyone can be accounted for in the new compartment.",
            "Do not stop to collect belongings. Do not use lifts.",
        )
    )
    page.heading("Oxygen and other medical gases", size=14)
    page.paragraph(
        "Oxygen makes fire burn hotter and faster. Turn off oxygen at the bedside when a patient can safely do "
        "without it, and move cylinders away from the fire. The ward's zone valves are closed only by the nurse in "
        "charge, after checking which patients depend on piped oxygen and arranging cylinders for them."
    )
    page.heading("Roles on Ward 7", size=14)
    page.bullets(
        (
            "Nurse in charge: directs the evacuation, checks the patient list, meets the fire response team.",
            "Every member of staff: knows this plan, the two escape routes and where the call points are.",
            "Fire warden (ward manager or deputy): checks rooms are empty and doors closed, reports to the nurse in "
            "charge.",
        )
    )
    page.paragraph(
        "Fire drills and a walk-through of this plan take place every six months. Report blocked fire doors, "
        "missing extinguishers or damaged call points to Facilities the same day.",
        size=10,
    )
    pdf.save(FILES / "fire-evacuation-plan-ward-7.pdf")


def make_acceptable_use_policy() -> None:
    pdf = Pdf("Acceptable use of IT policy")
    footer = "Northwind Health - Acceptable use of IT policy - version 3.2 - owner: Head of IT - review: March 2027"
    page = pdf.page(footer=footer)
    page.text(MARGIN, PAGE_H - 70, "Acceptable use of IT policy", size=22, bold=True, colour=NAVY)
    page.text(MARGIN, PAGE_H - 90, "Version 3.2 - approved by the Information Governance Group", size=11, colour=GREY)
    page.y = PAGE_H - 110
    sections: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
        (
            "1. Purpose and scope",
            (
                "This policy sets out how everyone who works for or with Northwind Health may use its computers, "
                "phones, networks, email, clinical systems and cloud services. It applies to employees, bank and "
                "agency staff, contractors, students and volunteers, on site and when working remotely.",
            ),
            (),
        ),
        (
            "2. Your account",
            ("Your account identifies you: everything done with it is recorded against your name.",),
            (
                "Never share your password or smartcard, or let someone else work under your login.",
                "Use a passphrase of at least three random words; never reuse your Northwind password elsewhere.",
                "Lock your screen (Windows key + L) whenever you step away, even for a moment.",
                "Approve multi-factor sign-in prompts only when you have just tried to sign in yourself.",
            ),
        ),
        (
            "3. Patient and personal information",
            (
                "Look at a patient's record only when you need it to care for them or for your job. Access is "
                "audited, and looking at records out of curiosity - including your own, your family's or a "
                "colleague's - is a disciplinary matter and may be a criminal offence.",
            ),
            (
                "Keep personal information in approved systems: never in personal email, messaging apps or cloud "
                "accounts.",
                "Send personal information outside Northwind only by approved secure email or file transfer.",
                "Use only encrypted, Northwind-issued USB devices, and only when there is no approved alternative.",
            ),
        ),
        (
            "4. Email, messaging and the internet",
            (
                "Reasonable personal use in your own time is allowed if it does not interfere with work, cost "
                "Northwind money or break this policy. You must not access, store or send material that is illegal, "
                "offensive, discriminatory or sexually explicit, or use Northwind systems for personal business.",
            ),
            (
                "Treat unexpected links and attachments with suspicion; report suspected phishing with the Report "
                "button.",
                "Do not install software or browser extensions that IT has not approved.",
                "Do not put patient or confidential information into public AI tools or translation websites.",
            ),
        ),
        (
            "5. Devices and remote working",
            (),
            (
                "Keep Northwind laptops and phones with you or locked away; never leave them in a car.",
                "Work in a place where others cannot overlook your screen or overhear confidential calls.",
                "Personal devices may reach email and Teams only through the approved app with its security settings.",
                "Report a lost or stolen device to the IT Service Desk immediately, day or night.",
            ),
        ),
        (
            "6. Monitoring",
            (
                "To protect patients, staff and systems, Northwind monitors the use of its IT: sign-ins, access to "
                "records, email and web traffic. Monitoring is proportionate, carried out by authorised staff and "
                "described in the staff privacy notice.",
            ),
            (),
        ),
        (
            "7. Reporting problems and breaches",
            (
                "Report any suspected security incident or data breach straight away to the IT Service Desk "
                "(extension 4357) and on the incident reporting system. Reporting quickly matters more than being "
                "sure: Northwind must tell the Information Commissioner's Office within 72 hours of becoming aware "
                "of a reportable breach.",
                "Breaking this policy may lead to disciplinary action, and access to systems may be suspended while "
                "a concern is investigated.",
            ),
            (),
        ),
    )
    for title, paragraphs, bullets in sections:
        if page.y < 190:
            page = pdf.page(footer=footer)
        page.heading(title, size=13)
        for text in paragraphs:
            page.paragraph(text)
        if bullets:
            page.bullets(bullets)
    pdf.save(FILES / "acceptable-use-of-it-policy.pdf")


def make_safeguarding_guide() -> None:
    pdf = Pdf("Safeguarding adults - quick guide")
    footer = "Northwind Health - Safeguarding adults quick guide - Safeguarding Team, extension 5120"
    page = pdf.page(footer=footer)
    page.text(MARGIN, PAGE_H - 70, "Safeguarding adults: quick guide", size=22, bold=True, colour=NAVY)
    page.y = PAGE_H - 90
    page.rect(MARGIN, page.y - 62, PAGE_W - 2 * MARGIN, 58, fill=(253, 236, 236), stroke=RED)
    page.text(MARGIN + 12, page.y - 24, "If someone is in immediate danger, call 999.", size=13, bold=True, colour=RED)
    page.text(
        MARGIN + 12,
        page.y - 44,
        "Then tell the nurse in charge or your manager, and call the Safeguarding Team on 5120.",
        size=11,
    )
    page.y -= 80
    page.heading("Recognise, respond, report, record", size=14)
    page.bullets(
        (
            "Recognise: notice injuries, behaviour or circumstances that do not add up, and disclosures.",
            "Respond: listen calmly, take it seriously, do not promise to keep it secret, make the person safe.",
            "Report: the same day, to your manager and the Safeguarding Team; out of hours, the site manager.",
            "Record: what you saw and heard, in the person's own words, with date, time and your name.",
        )
    )
    page.heading("The ten types of abuse (Care Act 2014 statutory guidance)", size=14)
    page.bullets(
        (
            "Physical abuse",
            "Domestic abuse (including coercive control)",
            "Sexual abuse",
            "Psychological or emotional abuse",
            "Financial or material abuse",
            "Modern slavery",
            "Discriminatory abuse",
            "Organisational abuse",
            "Neglect and acts of omission",
            "Self-neglect",
        ),
        size=10,
    )
    page.heading("The six safeguarding principles", size=14)
    page.bullets(
        (
            "Empowerment - people are supported to make their own decisions.",
            "Prevention - it is better to act before harm occurs.",
            "Proportionality - the least intrusive response appropriate to the risk.",
            "Protection - support and representation for those in greatest need.",
            "Partnership - local solutions through services working with communities.",
            "Accountability - everyone is clear about their role and answerable for it.",
        ),
        size=10,
    )
    page.paragraph(
        "Making Safeguarding Personal: ask the person what they want to happen, and keep them involved. Share "
        "information on a need-to-know basis; you can share without consent when someone is at risk of serious "
        "harm.",
        size=10,
    )
    pdf.save(FILES / "safeguarding-adults-quick-guide.pdf")


def main() -> None:
    FILES.mkdir(exist_ok=True)
    for tool in ("ffmpeg", "espeak-ng"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed to rebuild the demo video (apt-get install {tool}).")
    make_evacuation_plan()
    make_acceptable_use_policy()
    make_safeguarding_guide()
    with tempfile.TemporaryDirectory() as work:
        make_video(Path(work))
    for path in sorted(FILES.iterdir()):
        print(f"{path.name}: {path.stat().st_size / 1024:.1f} KB")


if __name__ == "__main__":
    main()
