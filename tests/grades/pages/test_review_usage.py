"""Found by using the gradebook (review R2): a cell opened from a filtered page of the table leads back to that
same page with its filters (it used to drop them), also after saving an override; a forged way back keeps only
the table's own parameters."""

from __future__ import annotations

import html
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def cell_url(book: Any, **query: str) -> str:
    url = reverse("grades:grade", args=[book.course.pk, book.item(book.essay1).pk, book.learner.pk])
    return f"{url}?{urlencode(query)}" if query else url


def test_a_cell_opened_from_a_filtered_page_leads_back_to_it(as_person, gradebook, world) -> None:
    client = as_person(world.instructor)
    table = reverse("grades:gradebook", args=[gradebook.course.pk])
    filters = "q=lena&sort=-name&page=1&cols=1"
    page = client.get(f"{table}?{filters}")
    assert page.status_code == 200
    back = urlencode({"back": filters})
    assert f'href="{html.escape(cell_url(gradebook))}?{html.escape(back)}"' in page.content.decode()

    opened = client.get(cell_url(gradebook, back=filters))
    assert opened.context["gradebook_url"] == f"{table}?{filters}"
    assert f'href="{html.escape(table + "?" + filters)}"' in opened.content.decode()

    saved = client.post(
        cell_url(gradebook),
        {"action": "override", "percent": "75", "reason": "Re-marked", "back": filters},
    )
    assert saved.status_code == 302 and saved["Location"] == cell_url(gradebook, back=filters)
    assert gradebook.item(gradebook.essay1).grades.get(user=gradebook.learner).override == Decimal(75)


def test_a_forged_way_back_keeps_only_the_tables_parameters(as_person, gradebook, world) -> None:
    forged = urlencode({"q": "lena", "next": "https://evil.example/", "page": "2"})
    opened = as_person(world.instructor).get(cell_url(gradebook, back=forged))
    table = reverse("grades:gradebook", args=[gradebook.course.pk])
    assert opened.context["gradebook_url"] == f"{table}?q=lena&page=2"
