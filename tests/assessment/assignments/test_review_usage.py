"""Found by using the assignment pages (review R2): dates in the assignment's sentences ended in "p.m.." (Django's
English DATETIME_FORMAT ends in a full stop) and read differently from the rest of the page."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone, translation

from syllabus.assessment import assignment_kind
from syllabus.assessment.services import assignments as services

UTC = dt.UTC


def test_a_date_in_words_reads_as_a_day_and_a_24_hour_time() -> None:
    with translation.override("en"), timezone.override(UTC):
        assert services.when_text(dt.datetime(2026, 11, 24, 17, 0, tzinfo=UTC)) == "24 November 2026, 17:00"
        assert services.when_text(dt.datetime(2026, 3, 2, 9, 30, tzinfo=UTC)) == "2 March 2026, 09:30"


def test_the_dates_sentences_end_in_one_full_stop() -> None:
    dates = services.Dates(
        opens_at=dt.datetime(2026, 11, 15, 9, 0, tzinfo=UTC),
        due_at=dt.datetime(2026, 11, 24, 17, 0, tzinfo=UTC),
        cutoff_at=dt.datetime(2026, 12, 1, 17, 0, tzinfo=UTC),
        extension=None,
    )
    with translation.override("en"), timezone.override(UTC):
        sentences = assignment_kind.dates_in_words(dates, dt.datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
        closed = services.window_error(dates, dt.datetime(2026, 12, 2, tzinfo=UTC))
    assert sentences == [
        "Submissions open on 15 November 2026, 09:00.",
        "Due on 24 November 2026, 17:00.",
        "Time left: 4 days 5 hours.",
        "Nothing can be handed in after 1 December 2026, 17:00.",
    ]
    assert closed.endswith("17:00.") and ".." not in closed
