"""The error report as CSV, and the downloadable template of an import file.

The report echoes what people typed (a bad email, an unknown unit) into a file that opens in a spreadsheet, so any
cell starting like a formula (=, +, -, @, tab, carriage return) is prefixed with an apostrophe, as OWASP advises
against CSV injection.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from syllabus.accounts.hr_import import parsing
from syllabus.accounts.models import AttributeDefinition

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def error_report_csv(errors: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "column", "message"])
    for error in errors:
        writer.writerow(
            [error.get("row", ""), neutralise(error.get("column", "")), neutralise(error.get("message", ""))]
        )
    return out.getvalue()


def template_csv(definitions: Iterable[AttributeDefinition]) -> str:
    """A header with every column (custom attributes as attr:<key>) and one example row."""
    out = io.StringIO()
    writer = csv.writer(out)
    keys = [definition.key for definition in definitions]
    writer.writerow([*parsing.STANDARD_COLUMNS, *(f"{parsing.ATTRIBUTE_PREFIX}{key}" for key in keys)])
    writer.writerow(
        [
            "jane.doe@example.com",
            "Jane Doe",
            "E1001",
            "Head Office/Sales",
            "Account manager",
            "London",
            "john.smith@example.com",
            "2024-03-31",
            *([""] * len(keys)),
        ]
    )
    return out.getvalue()
