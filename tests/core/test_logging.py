"""Production logs are one JSON object a line."""

from __future__ import annotations

import json
import logging

from syllabus.core.logging import JsonFormatter


def test_log_records_render_as_json_with_level_logger_and_time():
    record = logging.LogRecord("syllabus.test", logging.WARNING, __file__, 1, "disk at %d%%", (91,), None)
    line = JsonFormatter().format(record)
    data = json.loads(line)
    assert data["event"] == "disk at 91%"
    assert data["level"] == "warning"
    assert data["logger"] == "syllabus.test"
    assert data["timestamp"].endswith("Z")


def test_exceptions_are_included_in_the_json_line():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    data = json.loads(JsonFormatter().format(record))
    assert "ValueError: boom" in data["exception"]
