"""The hosts of a SageMaker training job with more than one instance, and how they share a
hyperparameter search.

Each instance runs the same container. AWS documents, for a container of one's own, the file
/opt/ml/input/config/resourceconfig.json ("How Amazon SageMaker AI Provides Training
Information", Distributed Training Configuration:
https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-training-algo-running-container.html),
e.g. {"current_host": "algo-2", "hosts": ["algo-1", "algo-2"], ...}. The SM_* variables come
from SageMaker's training toolkit, which this image does not have.

The hosts never talk to each other: host k of n (in sorted order) evaluates candidates k, k+n,
... of the search and writes its trials to training_jobs/<run_id>/trials/<host>.json; the
first host (the leader) waits for the others' files, merges them and trains the model. Without
the file (Lambda, Fargate, tests) there is one host, which does everything.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from pipeline_jobs import storage
from pipeline_jobs.errors import ConfigurationError, HostsTimeoutError

RESOURCE_CONFIG = Path("/opt/ml/input/config/resourceconfig.json")
# How often the leader looks for the other hosts' trials.
POLL_SECONDS = 10.0


@dataclass(frozen=True)
class Hosts:
    """This host, every host of the job (sorted), and until when the leader waits."""

    current: str = "algo-1"
    names: tuple[str, ...] = ("algo-1",)
    # time.monotonic() after which the leader stops waiting for the others' trials.
    deadline: float = math.inf
    poll_seconds: float = POLL_SECONDS

    @property
    def count(self) -> int:
        return len(self.names)

    @property
    def index(self) -> int:
        return self.names.index(self.current)

    @property
    def leader(self) -> bool:
        return self.index == 0

    def share(self, candidates: int) -> range:
        """The candidates of a search this host evaluates: every count-th from its index."""
        return range(self.index, candidates, self.count)


SINGLE = Hosts()


def read_hosts(
    path: Path = RESOURCE_CONFIG,
    *,
    wait_seconds: float,
    poll_seconds: float = POLL_SECONDS,
) -> Hosts:
    """The job's hosts from SageMaker's resource config; one host where there is none. The
    leader waits for the others' trials until ``wait_seconds`` from now."""
    if not path.is_file():
        return SINGLE
    try:
        config = json.loads(path.read_text())
        current = str(config["current_host"])
        names = tuple(sorted(str(name) for name in config["hosts"]))
    except (ValueError, KeyError, TypeError) as error:
        raise ConfigurationError(f"{path}: no current_host and hosts ({error})") from error
    if current not in names:
        raise ConfigurationError(f"{path}: current_host {current!r} is not among {list(names)}")
    return Hosts(current, names, time.monotonic() + wait_seconds, poll_seconds)


def write_trials(
    s3: Any, bucket: str, run_id: str, hosts: Hosts, trials: list[dict[str, Any]]
) -> str:
    """Write this host's trials for the leader; return their key."""
    key = storage.host_trials_key(run_id, hosts.current)
    storage.put_json(s3, bucket, key, trials)
    return key


def gather_trials(
    s3: Any,
    bucket: str,
    run_id: str,
    hosts: Hosts,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[dict[str, Any]]:
    """The other hosts' trials, read as they arrive; HostsTimeoutError naming the hosts whose
    trials did not arrive before the deadline."""
    waiting = [name for name in hosts.names if name != hosts.current]
    trials: list[dict[str, Any]] = []
    while True:
        for name in list(waiting):
            try:
                trials.extend(storage.get_json(s3, bucket, storage.host_trials_key(run_id, name)))
            except ClientError as error:
                if not storage.is_missing_object(error):
                    raise
            else:
                waiting.remove(name)
        if not waiting:
            return trials
        if clock() + hosts.poll_seconds > hosts.deadline:
            raise HostsTimeoutError(
                f"run {run_id}: no trials from {', '.join(waiting)} at "
                f"s3://{bucket}/{storage.host_trials_key(run_id, '<host>')} in time; "
                "a host failed or its share of the search outlasts max_runtime_minutes"
            )
        sleep(hosts.poll_seconds)
