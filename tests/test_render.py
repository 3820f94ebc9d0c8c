"""Every supported variant renders cleanly, with exactly the files of what it turns on."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pathspec
import pytest

from conftest import MATRIX, Rendered, project_files
from matrix import TEMPLATE_ROOT, load_variants, render

QUESTIONS = sorted(
    name
    for document in [
        TEMPLATE_ROOT / "copier.yml",
        *sorted((TEMPLATE_ROOT / "includes").glob("*.yml")),
    ]
    for name in re.findall(r"^([a-z][a-z0-9_]*):", document.read_text(encoding="utf-8"), re.M)
)
# A Jinja expression or tag that survived rendering: `{{ project_slug }}`, `{% if ... %}`.
LEFTOVER_JINJA = re.compile(r"\{%-?\s|\{\{-?\s*(?:" + "|".join(QUESTIONS) + r"|_copier)\b")


def ruff(*args: str, cwd) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=cwd, capture_output=True, text=True
    )


@pytest.fixture(params=sorted(MATRIX), ids=str)
def variant(request: pytest.FixtureRequest, rendered_variants: dict[str, Rendered]) -> Rendered:
    return rendered_variants[request.param]


def test_questions_are_found() -> None:
    # The leftover-Jinja check below is only as good as this list.
    assert {"project_slug", "with_api", "versions", "aws_regions"} <= set(QUESTIONS)


def test_no_template_residue(variant: Rendered) -> None:
    residue = []
    for path in project_files(variant.project_dir):
        relative = path.relative_to(variant.project_dir)
        if path.suffix == ".jinja" or "{{" in str(relative) or "{%" in str(relative):
            residue.append(f"{relative}: unrendered name")
        elif path.is_file():
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
            residue += [f"{relative}: {m.group(0)!r}" for m in LEFTOVER_JINJA.finditer(text)]
    assert residue == []


def test_ruff_clean(variant: Rendered) -> None:
    check = ruff("check", "--no-cache", ".", cwd=variant.project_dir)
    assert check.returncode == 0, check.stdout + check.stderr
    formatted = ruff("format", "--no-cache", "--check", ".", cwd=variant.project_dir)
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


def test_component_folders_match_toggles(variant: Rendered) -> None:
    answers = variant.answers
    expected = {
        "network": answers["with_network"],
        "data_lake": answers["with_data_lake"],
        "pipeline": answers["with_pipeline"],
        "frontend": answers["with_frontend"],
        "ci_access": bool(answers["github_repository"]),
    }
    present = {name: (variant.package_dir / name).is_dir() for name in expected}
    assert present == expected


def test_one_config_file_per_environment(variant: Rendered) -> None:
    configs = sorted(path.stem for path in (variant.project_dir / "config").glob("*.yaml"))
    assert configs == sorted(variant.answers["environments"])


def test_answers_file_records_the_answers(variant: Rendered) -> None:
    import yaml

    recorded = yaml.safe_load((variant.project_dir / ".copier-answers.yml").read_text())
    for question, answer in load_variants()["supported"][variant.name].items():
        assert recorded[question] == answer
    # Computed values are derived again on update, never frozen in the answers file.
    assert "with_network" not in recorded and "versions" not in recorded


def test_no_rendered_file_is_ignored_by_the_project_gitignore(variant: Rendered) -> None:
    """Every rendered file goes into the first commit (the post-copy task commits all that
    git does not ignore; tests/test_hooks.py runs it)."""
    gitignore = (variant.project_dir / ".gitignore").read_text(encoding="utf-8")
    spec = pathspec.GitIgnoreSpec.from_lines(gitignore.splitlines())
    rendered = [
        path.relative_to(variant.project_dir).as_posix()
        for path in project_files(variant.project_dir)
        if path.is_file()
    ]
    assert [name for name in rendered if spec.match_file(name)] == []


@pytest.mark.variants("all_on")
def test_the_matrix_renders_what_copier_copy_renders(
    rendered_variants: dict[str, Rendered], tmp_path: Path
) -> None:
    """The matrix renders from a plain copy of the template, without the post-copy task or
    copier's git calls, and shares copier.yml and compiled Jinja between renders
    (tests/render_shortcuts.py): the files and their modes must be the same."""
    variant = rendered_variants["all_on"]
    reference = tmp_path / "all_on"
    render(load_variants()["supported"]["all_on"], reference)

    def contents(project: Path) -> dict[str, bytes]:
        return {
            path.relative_to(project).as_posix(): oct(path.stat().st_mode & 0o777).encode()
            + b" "
            + path.read_bytes()
            for path in project_files(project)
            if path.is_file()
        }

    matrix_files, copied_files = contents(variant.project_dir), contents(reference)
    # The lock task's uv.lock, where uv and the index are at hand (tests/test_hooks.py).
    copied_files.pop("uv.lock", None)
    # Where the template came from and at which commit: the only lines that may differ.
    for files in (matrix_files, copied_files):
        files[".copier-answers.yml"] = b"\n".join(
            line
            for line in files[".copier-answers.yml"].splitlines()
            if not line.startswith((b"_src_path:", b"_commit:"))
        )
    assert sorted(matrix_files) == sorted(copied_files)
    assert [name for name in matrix_files if matrix_files[name] != copied_files[name]] == []
