"""JSON logging: one JSON object per line on stdout, which CloudWatch Logs can query by field."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TextIO

# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is logged
# as a field of its own. uvicorn's color_message only repeats the message with terminal colours.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "color_message",
}

# Libraries whose INFO and DEBUG lines are noise here; botocore's DEBUG output even includes
# request headers with the session token, which must not end up in the logs.
_QUIET_LOGGERS = ("botocore", "boto3", "s3transfer", "urllib3")

# uvicorn's server logger, which it configures with a plain-text handler of its own.
_UVICORN_LOGGERS = ("uvicorn", "uvicorn.error")


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line: time, level, logger, message and any extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(
            (key, value) for key, value in vars(record).items() if key not in _RECORD_ATTRIBUTES
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        # default=str: an extra field that JSON cannot represent is logged as its text.
        return json.dumps(entry, default=str)


class _JsonStdoutHandler(logging.StreamHandler[TextIO]):
    """The handler configure_logging installs, told apart from handlers others installed."""


def configure_logging(level: str) -> None:
    """Write log records from ``level`` up as JSON lines to stdout, uvicorn's messages too.

    Calling it again replaces the handler it installed before; other handlers are kept.
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _JsonStdoutHandler)]:
        root.removeHandler(handler)
    handler = _JsonStdoutHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)

    for name in _UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    # The app writes its own access lines, with the request as fields (see main._log_request);
    # uvicorn's would repeat each request as plain text.
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.handlers.clear()
    uvicorn_access.propagate = False
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
