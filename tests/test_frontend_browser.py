"""The all-on project's page, in a real browser, shows a prediction of the model its own
pipeline trained, its leaderboard, and scores an uploaded CSV file, in the project's language
(all_on answers pt-BR: Portuguese labels, decimal commas).

The variant is rendered and installed as a team would (`uv sync`, `npm ci`); its model API runs
locally on a model the pipeline trained against moto (serve_model_api.py), its Next.js app is
built and started with API_URL pointing there, and headless Chromium (Debian's `chromium`
package, driven by Playwright; no browser download) fills in the form. Everything listens on
127.0.0.1 and is stopped when the test ends, passed or not. The screenshot is kept under
FRONTEND_SCREENSHOT_DIR (default: test-artifacts/ in this repository).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from conftest import SUPPORTED
from matrix import TEMPLATE_ROOT, project_environment, render

pytestmark = pytest.mark.slow

VARIANT = "all_on"
# all_on trains a regression; the page's classification view (classes, probabilities) is the
# one a browser must see drawn, so this project classifies iris. Regression answers are held to
# the page's types by its typecheck and to the API by the project's end-to-end test.
ANSWERS = {**SUPPORTED[VARIANT], "task_type": "classification"}
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT_DIR = Path(os.environ.get("FRONTEND_SCREENSHOT_DIR", TEMPLATE_ROOT / "test-artifacts"))
INSTALL_TIMEOUT_S = 900
BUILD_TIMEOUT_S = 600
API_START_TIMEOUT_S = 180
FRONTEND_START_TIMEOUT_S = 60
PAGE_TIMEOUT_MS = 20_000
# The page's text in pt-BR (frontend/runtime/messages/pt-BR.ts), the language of all_on.
LANGUAGE = "pt-BR"
MODEL_HEADING = "Modelo servido"
PREDICT_BUTTON = "Prever"
CSV_FILE_LABEL = "Arquivo CSV para previsão"
SCORED_TWO_ROWS = "Previsões de 2 linhas"
# A percentage with one decimal after a comma, as pt-BR writes it: 97,3%, 100,0%.
PT_BR_PERCENT = re.compile(r"^\d{1,3},\d%$")
# A flower the iris model calls virginica.
FLOWER = {"Sepal length": "6.3", "Sepal width": "3.3", "Petal length": "6.0", "Petal width": "2.5"}


def pt_br_decimal(value: float) -> str:
    """A metric as the page writes it in pt-BR: at most four decimals, after a comma."""
    rounded = Decimal(repr(value)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return format(rounded.normalize(), "f").replace(".", ",")


def _label(feature: str) -> str:
    """The form's label of a feature column, e.g. petal_length -> Petal length."""
    return feature.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Project:
    directory: Path
    answers: dict[str, Any]

    @property
    def runtime(self) -> Path:
        return self.directory / self.answers["package_name"] / "frontend" / "runtime"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_json(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def run(command: list[str], cwd: Path, timeout: int, **env: str) -> None:
    result = subprocess.run(
        command,
        cwd=cwd,
        env={**project_environment(), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"{command}:\n{result.stdout[-5000:]}\n{result.stderr[-5000:]}"


@contextmanager
def serving(command: list[str], cwd: Path, log: Path, ready_url: str, timeout: int, **env: str):
    """Run ``command`` in its own process group until ``ready_url`` answers 200; stop it (and
    whatever it started) on exit."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env={**project_environment(), **env},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                pytest.fail(f"{command} exited with {process.returncode}:\n{log.read_text()}")
            try:
                if get_json(ready_url)[0] == 200:
                    break
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{ready_url} did not answer within {timeout} s:\n{log.read_text()}")
            time.sleep(0.5)
        yield
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=20)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    uv, npm = shutil.which("uv"), shutil.which("npm")
    assert uv, "uv is needed to install the rendered project: run the tests through nox"
    assert npm, "npm (Node.js 20.9+) is needed to build the front end"
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    directory = tmp_path_factory.mktemp("browser") / "project"
    answers = render(ANSWERS, directory)
    assert answers["with_pipeline"] and answers["with_frontend"]
    assert answers["language"] == LANGUAGE
    run([uv, "sync", "--python", answers["python_version"]], directory, INSTALL_TIMEOUT_S)
    return Project(directory, answers)


@pytest.fixture(scope="module")
def model_api(project: Project) -> Iterator[str]:
    """The project's model API on loopback, serving the model its pipeline promoted."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    python = project.directory / ".venv" / "bin" / "python"
    command = [
        str(python),
        str(Path(__file__).with_name("serve_model_api.py")),
        str(project.directory),
        project.answers["package_name"],
        str(port),
    ]
    log = project.directory / "model-api.log"
    with serving(command, project.directory, log, f"{url}/model", API_START_TIMEOUT_S):
        yield url


@pytest.fixture(scope="module")
def runtime(project: Project) -> Path:
    """The project's Next.js app with its packages installed, as CI and the instance do."""
    npm = shutil.which("npm")
    assert npm
    run([npm, "ci", "--no-audit", "--no-fund"], project.runtime, INSTALL_TIMEOUT_S)
    return project.runtime


@pytest.fixture(scope="module")
def frontend(runtime: Path, project: Project, model_api: str) -> Iterator[str]:
    """The project's Next.js app, built and started as on the instance."""
    npm = shutil.which("npm")
    assert npm
    run([npm, "run", "build"], runtime, BUILD_TIMEOUT_S, NEXT_TELEMETRY_DISABLED="1")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [npm, "start", "--", "--hostname", "127.0.0.1"]
    log = project.directory / "frontend.log"
    env = {"API_URL": model_api, "PORT": str(port), "NEXT_TELEMETRY_DISABLED": "1"}
    with serving(command, runtime, log, f"{url}/api/health", FRONTEND_START_TIMEOUT_S, **env):
        yield url


def test_the_apps_own_tests_pass(runtime: Path) -> None:
    # The app's own tests (`npm test`, which the project's CI runs): a local server records
    # what the server sends with a signing region set, and checks that its Authorization
    # header is SigV4 for execute-api and verifies with the key; every message has its
    # translation in every language, and the formatters write each language's numbers.
    npm = shutil.which("npm")
    assert npm
    result = subprocess.run(
        [npm, "test"],
        cwd=runtime,
        env=project_environment(),
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    assert "# pass 7" in result.stdout and "# fail 0" in result.stdout, result.stdout


def test_the_page_shows_a_prediction_of_the_model_the_pipeline_trained(
    frontend: str, model_api: str
) -> None:
    from playwright.sync_api import expect, sync_playwright

    status, model = get_json(f"{model_api}/model")
    assert status == 200
    # The page's server forwards to the API unchanged.
    assert get_json(f"{frontend}/api/model") == (200, model)

    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    screenshot = SCREENSHOT_DIR / "frontend-prediction.png"
    screenshot.unlink(missing_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            page.goto(frontend)
            try:
                expect(page.locator("html")).to_have_attribute("lang", LANGUAGE)
                expect(page.get_by_role("heading", name=MODEL_HEADING)).to_be_visible()
                model_info = page.get_by_test_id("model-info")
                expect(model_info).to_contain_text(model["run_id"])
                for value in model["metrics"].values():
                    expect(model_info).to_contain_text(pt_br_decimal(value))
                for label, value in FLOWER.items():
                    page.get_by_label(label, exact=True).fill(value)
                page.get_by_role("button", name=PREDICT_BUTTON, exact=True).click()

                prediction = page.get_by_test_id("prediction")
                expect(prediction.get_by_test_id("predicted-class")).to_have_text("virginica")
                # The most likely class's probability, in the table's first row.
                expect(prediction.get_by_role("cell").first).to_have_text(PT_BR_PERCENT)

                # The leaderboard marks the champion: the run the API serves.
                expect(page.get_by_test_id("champion")).to_contain_text(model["run_id"])

                # A CSV file scored through /predict/batch, offered as a download.
                columns = list(model["features"])
                rows = [[FLOWER[_label(name)] for name in columns], ["5.1", "3.5", "1.4", "0.2"]]
                upload = (
                    "\n".join(
                        ",".join(line)
                        for line in [
                            ["id", *columns],
                            *[[str(number), *row] for number, row in enumerate(rows, start=1)],
                        ]
                    )
                    + "\n"
                )
                page.get_by_label(CSV_FILE_LABEL).set_input_files(
                    files=[{"name": "jury.csv", "mimeType": "text/csv", "buffer": upload.encode()}]
                )
                expect(page.get_by_test_id("batch-result")).to_contain_text(SCORED_TWO_ROWS)
                with page.expect_download() as download_info:
                    page.get_by_test_id("batch-download").click()
                downloaded = Path(download_info.value.path()).read_text().splitlines()
                assert downloaded[0].split(",")[: len(columns) + 2] == [
                    "id",
                    *columns,
                    "prediction",
                ]
                assert [line.split(",")[len(columns) + 1] for line in downloaded[1:]] == [
                    "virginica",
                    "setosa",
                ]
            finally:
                # Kept either way: on a failure it shows what the page showed instead.
                page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert screenshot.stat().st_size > 0, screenshot
