"""The error format names list items by index, whether DRF reports them as a list or as a dict keyed by index."""

from __future__ import annotations

from rest_framework import exceptions

from syllabus.core.api import _flatten


def test_errors_of_list_items_reported_by_index_name_the_item() -> None:
    detail = {"preferences": {0: {"mode": [exceptions.ErrorDetail("Bad mode.", code="invalid")]}}}
    assert _flatten(detail) == [{"field": "preferences[0].mode", "message": "Bad mode.", "code": "invalid"}]


def test_errors_of_the_second_item_name_the_second_item() -> None:
    detail = {"preferences": {1: {"type": [exceptions.ErrorDetail("Unknown.", code="invalid")]}}}
    assert _flatten(detail)[0]["field"] == "preferences[1].type"


def test_list_shaped_item_errors_keep_their_index() -> None:
    detail = {"rows": [{}, {"email": [exceptions.ErrorDetail("Enter an email.", code="invalid")]}]}
    assert _flatten(detail) == [{"field": "rows[1].email", "message": "Enter an email.", "code": "invalid"}]
