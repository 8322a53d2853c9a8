"""A person's transcript as a file: CSV for spreadsheets, PDF to print or hand to an auditor.

- CSV: one line per completion, cells that a spreadsheet would run as a formula escaped with a leading apostrophe
  (the same rule as the skills framework export, `skills.framework_csv.escape_cell`).
- PDF: drawn by WeasyPrint from a template, with the organisation's name, the person's name and the date it was
  made. Fonts come from the system (DejaVu Sans for Latin, Greek and Cyrillic, Noto Sans CJK for Chinese,
  Japanese and Korean names) through fontconfig; nothing is fetched: the URL fetcher refuses every address, so a
  title or name can never make the server request anything.

Dates are written in the time zone of the person downloading (the one active for the request).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from syllabus.progress.selectors_learner import CompletedItem
from syllabus.skills.framework_csv import escape_cell

# The system fonts the PDF asks fontconfig for, in order: each character is drawn with the first that has it.
PDF_FONTS = '"DejaVu Sans", "Noto Sans", "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK KR", sans-serif'
NO_FETCH = "The transcript PDF loads no external resource."


def _date(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).date().isoformat() if moment is not None else ""


def csv_columns() -> list[str]:
    return [
        _("Completed on"),
        _("Title"),
        _("Version"),
        _("Score (%)"),
        _("Time spent (h:mm)"),
        _("Expires on"),
        _("Source"),
        _("Provider"),
    ]


def csv_row(item: CompletedItem) -> list[str]:
    return [
        escape_cell(str(value))
        for value in (
            _date(item.completed_at),
            item.title,
            item.version_label,
            item.score,
            item.time_spent,
            _date(item.expires_at),
            item.source_label,
            item.provider,
        )
    ]


def transcript_csv(items: Iterable[CompletedItem]) -> str:
    """The whole transcript as CSV text (a person's transcript is at most a few thousand lines)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([escape_cell(column) for column in csv_columns()])
    for item in items:
        writer.writerow(csv_row(item))
    return out.getvalue()


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(NO_FETCH)


def transcript_pdf(
    *,
    items: Sequence[CompletedItem],
    organization_name: str,
    person_name: str,
    year: int | None,
    generated_at: dt.datetime,
) -> bytes:
    """The transcript as a PDF document."""
    import weasyprint  # imported here: loading Pango costs time that only PDF requests should pay

    html = render_to_string(
        "progress/learner/transcript_pdf.html",
        {
            "items": items,
            "organization_name": organization_name,
            "person_name": person_name,
            "year": year,
            "generated_at": generated_at,
            # "Generated on" names the zone its time is in (the one active for the request, as for the dates).
            "time_zone": timezone.get_current_timezone_name(),
            "fonts": PDF_FONTS,
        },
    )
    document = weasyprint.HTML(string=html, url_fetcher=_refuse_fetch)
    return bytes(document.write_pdf())


def filename(person_name: str, year: int | None, extension: str) -> str:
    """transcript-zoe-lukasiewicz-2025.csv (ASCII; the download header carries it either way)."""
    stem = slugify(person_name) or "person"
    return f"transcript-{stem}{f'-{year}' if year else ''}.{extension}"
