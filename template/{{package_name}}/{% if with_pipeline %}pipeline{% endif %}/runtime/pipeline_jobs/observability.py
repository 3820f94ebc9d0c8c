"""The Powertools logger and tracer every job shares.

The service name comes from POWERTOOLS_SERVICE_NAME, set by the CDK stack.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Tracer


def running_in_lambda() -> bool:
    """Whether this process is a Lambda invocation (rather than the Fargate training task).

    Powertools takes LAMBDA_TASK_ROOT as "in Lambda", but the Lambda base image sets it for
    every container, so the Fargate task would try to trace to an X-Ray daemon that is not
    there. Only the Lambda service itself sets AWS_LAMBDA_FUNCTION_NAME.
    """
    return "AWS_LAMBDA_FUNCTION_NAME" in os.environ


logger = Logger()
# None lets Powertools decide inside Lambda (POWERTOOLS_TRACE_DISABLED still applies).
tracer = Tracer(disabled=None if running_in_lambda() else True)
