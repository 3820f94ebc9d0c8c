"""The template's benchmark: what a team waits for, and what CI spends on the variant matrix.

    nox -s bench                 every figure, 3 runs each (medians, min and max)
    nox -s bench -- --runs 5     more runs

Prints one line per figure and writes them all to bench-results/bench-<UTC time>.json, so
that runs can be compared. Each figure has its wall time and the CPU time of the processes it
waited for: on a shared machine, CPU time tells the work from the waiting. Targets
(docs/performance.md) are checked by reading these figures, never by a timed assertion.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from matrix import load_variants, project_environment, render  # noqa: E402
from render_shortcuts import template_snapshot  # noqa: E402

RESULTS = ROOT / "bench-results"
ENV = {**project_environment(), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
ALL_ON = load_variants()["supported"]["all_on"]

# One variant, rendered and synthesized exactly as a matrix worker does it, in its own process
# (the copy of the template that the matrix makes once included).
SYNTH_ONE = """
import sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from matrix import _render_and_synthesize
from render_shortcuts import template_snapshot
root = Path(sys.argv[2])
template = template_snapshot(root / ".template")
[(name, answers, report)] = _render_and_synthesize([sys.argv[1]], root, template)
assert report.error is None and not report.nag_findings, report.error
"""

# The whole matrix, as the test session's `matrix` fixture runs it.
SYNTH_ALL = """
import sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from matrix import run_matrix
if __name__ == "__main__":
    results = run_matrix(Path(sys.argv[1]))
    failed = [name for name, (_, report) in results.items() if report.error or report.nag_findings]
    assert not failed, failed
    print(len(results))
"""


def run(command: list[str], cwd: Path | None = None, env: dict | None = None) -> str:
    result = subprocess.run(
        command, cwd=cwd, env=env or ENV, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"bench: {' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def timed(label: str, runs: int, action: Callable[[int], Any]) -> dict[str, float]:
    """Run `action(i)` `runs` times; returns median, min and max seconds."""
    return figure_of(label, [seconds_of(action, i) for i in range(runs)])


def seconds_of(action: Callable[[int], Any], i: int) -> tuple[float, float]:
    """Wall seconds of `action(i)`, and CPU seconds of the processes it started and waited for
    (their children included, jsii's Node.js among them)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    action(i)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu


def figure_of(label: str, measures: list[tuple[float, float]]) -> dict[str, float]:
    """Median, min and max wall seconds of `measures`, and their median CPU seconds, printed
    on one line."""
    seconds = [wall for wall, _ in measures]
    figure = {
        "median_s": round(statistics.median(seconds), 3),
        "min_s": round(min(seconds), 3),
        "max_s": round(max(seconds), 3),
        "cpu_median_s": round(statistics.median(cpu for _, cpu in measures), 3),
        "runs": len(seconds),
    }
    print(
        f"{label:<62} median {figure['median_s']:7.2f} s"
        f"  (min {figure['min_s']:.2f}, max {figure['max_s']:.2f}, {len(seconds)} runs;"
        f" CPU {figure['cpu_median_s']:.2f} s)",
        flush=True,
    )
    return figure


class PeakMemory:
    """Peak resident memory of a process and all its children (jsii's Node.js included)."""

    def __init__(self, pid: int) -> None:
        self.peak = 0
        self._process = psutil.Process(pid)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.wait(0.05):
            try:
                family = [self._process, *self._process.children(recursive=True)]
                total = sum(p.memory_info().rss for p in family if p.is_running())
            except psutil.Error:
                continue
            self.peak = max(self.peak, total)

    def stop(self) -> int:
        self._done.set()
        self._thread.join()
        return self.peak


def copier_copy(work: Path, *, tasks: bool = True) -> Callable[[int], None]:
    """`copier copy` as a team runs it: copier clones the template (a git repository), renders
    it and, with `tasks`, runs its tasks (`uv lock`, then git's first commit)."""
    name = "copy" if tasks else "render"

    def action(i: int) -> None:
        data = [arg for key, value in ALL_ON.items() for arg in ("--data", f"{key}={_cli(value)}")]
        skip = [] if tasks else ["--skip-tasks"]
        destination = work / f"{name}-{i}"
        run(
            ["copier", "copy", "--trust", "--defaults", "--quiet", *skip, *data, str(ROOT),
             str(destination)]
        )  # fmt: skip
        if tasks and shutil.which("uv") and not (destination / "uv.lock").exists():
            raise SystemExit("bench: the copy's lock task wrote no uv.lock: a copy is timed whole")

    return action


def _cli(value: Any) -> str:
    """An answer as `copier --data` reads it (lists in YAML flow style)."""
    if isinstance(value, list):
        return yaml.safe_dump(value, default_flow_style=True).strip()
    return str(value)


def project_synth(project: Path, *, validation: bool) -> Callable[[int], None]:
    env = {**ENV, "CDK_OUTDIR": "cdk.out", **({} if validation else {"CDK_VALIDATION": "false"})}

    def action(i: int) -> None:
        shutil.rmtree(project / "cdk.out", ignore_errors=True)
        run([sys.executable, "app.py"], cwd=project, env=env)

    return action


def tagged_template(work: Path) -> Path:
    """A git copy of the working tree with two versions: v1 as it is, v2 with a changed file."""
    repo = template_snapshot(work / "template-repo")
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    run([*git, "init", "-q", "-b", "main"], cwd=repo)
    run([*git, "add", "-A"], cwd=repo)
    run([*git, "commit", "-q", "-m", "v1"], cwd=repo)
    run([*git, "tag", "v1.0.0"], cwd=repo)
    with (repo / "template" / ".gitignore").open("a") as ignore_file:
        ignore_file.write("\n# Added in v2\n*.bak\n")
    run([*git, "commit", "-q", "-am", "v2"], cwd=repo)
    run([*git, "tag", "v2.0.0"], cwd=repo)
    return repo


def copier_update(work: Path) -> Callable[[int], None]:
    repo = tagged_template(work)
    project = work / "updated"
    run(["copier", "copy", "--trust", "--defaults", "--quiet", "--vcs-ref", "v1.0.0",
         str(repo), str(project)])  # fmt: skip
    before = run(["git", "rev-parse", "HEAD"], cwd=project).strip()

    def action(i: int) -> None:
        run(["git", "reset", "-q", "--hard", before], cwd=project)
        run(["copier", "update", "--trust", "--defaults", "--quiet", "--vcs-ref", "v2.0.0"],
            cwd=project)  # fmt: skip

    return action


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    figures: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(),
        },
        "variants": len(load_variants()["supported"]),
    }
    with tempfile.TemporaryDirectory(prefix="bench-") as temp:
        work = Path(temp)
        figures["copier_copy_all_on"] = timed(
            "copier copy --defaults, all-on project, with its tasks (process)",
            runs,
            copier_copy(work),
        )
        # The same without the tasks (`uv lock` and the first commit): copier's own share.
        figures["copier_copy_all_on_render"] = timed(
            "copier copy --defaults --skip-tasks: the render alone (process)",
            runs,
            copier_copy(work, tasks=False),
        )

        project = work / "all-on"
        # Rendered quietly (no git clone, no commit): this project is only synthesized and tested.
        render(ALL_ON, project, template=template_snapshot(work / "template"), tasks=False)
        figures["synth_all_on_with_validation"] = timed(
            "synth of the all-on project (process, built-in validation)",
            runs,
            project_synth(project, validation=True),
        )
        figures["synth_all_on_without_validation"] = timed(
            "synth of the all-on project (process, no built-in validation)",
            runs,
            project_synth(project, validation=False),
        )

        tests_dir = str(ROOT / "tests")
        one = SYNTH_ONE.format(tests=tests_dir)
        peaks: list[int] = []

        def one_alone(i: int) -> None:
            run([sys.executable, "-c", one, "defaults", str(work / f"one-{i}")])

        def matrix(i: int) -> None:
            command = [sys.executable, "-c", SYNTH_ALL.format(tests=tests_dir), str(work / f"m{i}")]
            process = subprocess.Popen(command, env=ENV, stdout=subprocess.PIPE, text=True)
            memory = PeakMemory(process.pid)
            process.wait()
            peaks.append(memory.stop())
            if process.returncode != 0:
                raise SystemExit("bench: the matrix run failed")

        # In turns, one run of each, so that a drift of the machine's speed (other tenants)
        # weighs on both sides of the ratio alike.
        pairs = [(seconds_of(one_alone, i), seconds_of(matrix, i)) for i in range(runs)]
        figures["one_variant_alone"] = figure_of(
            "one variant (defaults) rendered + synthesized alone (process)",
            [one_run for one_run, _ in pairs],
        )
        figures["matrix"] = figure_of(
            f"matrix: {figures['variants']} variants rendered + synthesized (process)",
            [matrix_run for _, matrix_run in pairs],
        )
        ratio = figures["matrix"]["median_s"] / figures["one_variant_alone"]["median_s"]
        figures["matrix_ratio"] = round(ratio, 2)
        figures["matrix_peak_memory_mib"] = round(max(peaks) / 2**20)
        print(
            f"matrix / one variant alone: ratio {ratio:.2f} "
            f"({figures['variants']} variants; target <= 2.5)"
        )
        print(f"matrix peak memory: {figures['matrix_peak_memory_mib']} MiB (process tree)")

        figures["copier_update"] = timed(
            "copier update across one version (process)", runs, copier_update(work)
        )

        uv = shutil.which("uv")
        if uv is None:
            raise SystemExit("bench: uv is needed to install the rendered project (use nox)")
        answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
        run([uv, "sync", "--quiet", "--python", answers["python_version"]], cwd=project)
        figures["all_on_project_tests"] = timed(
            "the all-on project's own test suite (uv run pytest)",
            runs,
            lambda i: run(
                [uv, "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project
            ),
        )

    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"bench-{figures['when'].replace(':', '')}.json"
    path.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"figures written to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
