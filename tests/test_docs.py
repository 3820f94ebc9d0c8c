"""The docs that are generated from the template stay in step with it."""

from __future__ import annotations

import subprocess
import sys

from matrix import TEMPLATE_ROOT


def test_questions_reference_is_current() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/questions_reference.py", "--check"],
        cwd=TEMPLATE_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_question_is_in_the_reference() -> None:
    sys.path.insert(0, str(TEMPLATE_ROOT / "scripts"))
    from questions_reference import PAGE, load_questions

    page = PAGE.read_text()
    missing = [name for name in load_questions() if f"## `{name}`" not in page]
    assert missing == []
