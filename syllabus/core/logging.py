"""JSON log lines for production, through structlog's stdlib bridge."""

from __future__ import annotations

import structlog


class JsonFormatter(structlog.stdlib.ProcessorFormatter):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(
            processor=structlog.processors.JSONRenderer(),
            foreign_pre_chain=[
                structlog.stdlib.add_log_level,
                structlog.stdlib.add_logger_name,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.processors.format_exc_info,
            ],
        )
