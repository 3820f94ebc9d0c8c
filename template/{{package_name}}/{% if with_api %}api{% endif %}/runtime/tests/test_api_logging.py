"""Logs are JSON lines on stdout, and every request writes an access-log line."""

from __future__ import annotations

import json
import logging
from typing import Any

from api_service.logging_config import JsonFormatter, configure_logging


def json_lines(text: str) -> list[dict[str, Any]]:
    """Parse every line; fails if any line is not one JSON object."""
    return [json.loads(line) for line in text.splitlines()]


def test_a_log_line_is_one_json_object_with_the_standard_fields(capsys: Any) -> None:
    configure_logging("INFO")

    logging.getLogger("api_service.test").warning("loaded %s", "run-1", extra={"run_id": "run-1"})

    [line] = json_lines(capsys.readouterr().out)
    assert line.keys() == {"time", "level", "logger", "message", "run_id"}
    assert line["level"] == "WARNING"
    assert line["logger"] == "api_service.test"
    assert line["message"] == "loaded run-1"
    assert line["time"].endswith("+00:00")


def test_an_exception_is_logged_with_its_traceback(capsys: Any) -> None:
    configure_logging("INFO")

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("api_service.test").exception("failed")

    [line] = json_lines(capsys.readouterr().out)
    assert line["message"] == "failed"
    assert "RuntimeError: boom" in line["exception"]


def test_records_below_the_level_are_dropped(capsys: Any) -> None:
    configure_logging("WARNING")

    logging.getLogger("api_service.test").info("not shown")

    assert capsys.readouterr().out == ""


def test_requests_write_json_access_lines(
    publish_model: Any, make_client: Any, setosa_row: dict[str, float], capsys: Any
) -> None:
    publish_model("run-1")
    client = make_client()  # its start-up configures logging at INFO

    client.post("/predict", json={"features": setosa_row})
    client.get("/health")

    lines = json_lines(capsys.readouterr().out)
    access = [line for line in lines if line["logger"] == "api_service.access"]
    assert len(access) == 1  # health checks are logged at DEBUG only
    [line] = access
    assert line["message"] == "POST /predict 200"
    assert line["method"] == "POST"
    assert line["path"] == "/predict"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert line["client"] == "testclient"
    assert any(line["message"] == "loaded model run run-1" for line in lines)


def test_an_extra_field_json_cannot_hold_is_logged_as_text() -> None:
    record = logging.makeLogRecord({"msg": "hi", "levelname": "INFO", "path": object()})

    line = json.loads(JsonFormatter().format(record))

    assert line["path"].startswith("<object object")


def test_uvicorn_server_lines_are_json_and_its_access_lines_are_left_out(capsys: Any) -> None:
    # As uvicorn sets its loggers up before the app starts: plain-text handlers of its own.
    for name in ("uvicorn", "uvicorn.access"):
        logging.getLogger(name).addHandler(logging.StreamHandler())
    configure_logging("INFO")

    logging.getLogger("uvicorn.error").info("Application startup complete.")
    logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET /model HTTP/1.1" 200')

    captured = capsys.readouterr()
    [line] = json_lines(captured.out)
    assert captured.err == ""  # uvicorn's plain-text handlers are gone
    assert line["logger"] == "uvicorn.error"
    assert line["message"] == "Application startup complete."
    # uvicorn writes access lines only while this logger has a handler to reach.
    assert not logging.getLogger("uvicorn.access").hasHandlers()
