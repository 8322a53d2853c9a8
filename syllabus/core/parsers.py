"""The API's request parsers (settings.REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]).

Its own module: rest_framework.views reads that setting when it is imported, so the parser cannot live in a module
that imports rest_framework.views (core.api does).
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, parsers

NESTED_TOO_DEEPLY = "The JSON body is nested too deeply."


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, but a body nested deeper than Python's recursion limit is a parse error (400) that says
    so, rather than a crash (500)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError(NESTED_TOO_DEEPLY) from exc
