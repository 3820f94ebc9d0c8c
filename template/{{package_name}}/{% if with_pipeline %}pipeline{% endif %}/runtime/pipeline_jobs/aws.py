"""The jobs' AWS clients: one per service for the life of the process.

Lambda keeps a function's execution environment between invocations, and with it what a
module holds: a client made once keeps its connections open for the next invocation, and its
set-up (tens of milliseconds) is paid once. AWS's Lambda best practices say as much: initialize
SDK clients outside the handler. boto3's clients are safe to share between threads.
"""

from __future__ import annotations

import functools
from typing import Any

import boto3


@functools.cache
def client(service: str) -> Any:
    """boto3's client of ``service`` ("s3", "athena", "ecs"), made on first use."""
    return boto3.client(service)
