"""The scripts that `copier update` runs as migrations: hooks/rename_config_key.py,
hooks/move_config_key.py, hooks/rename_answer.py, hooks/remove_leftover_folders.py and
hooks/report_conflicts.py. tests/test_update.py runs them inside real updates; these tests pin
down their behaviour case by case, including the conflicts an update can leave."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import copier
import pytest

from matrix import TEMPLATE_ROOT
from move_config_key import move_key
from remove_config_key import remove_key
from rename_config_key import rename_key

RENAME = TEMPLATE_ROOT / "hooks" / "rename_config_key.py"
REMOVE = TEMPLATE_ROOT / "hooks" / "remove_config_key.py"
MOVE = TEMPLATE_ROOT / "hooks" / "move_config_key.py"
REPORT = TEMPLATE_ROOT / "hooks" / "report_conflicts.py"
OLD, NEW = "data_lake.logs_days", "data_lake.logs_expiration_days"

CONFIG = """\
# Settings of the dev environment.
account: ""
logs_days: 1

data_lake:
  # How long logs/ objects are kept.
  logs_days: 30  # a month
  raw_days: 90

pipeline:
  logs_days: 7
  train_model:
    memory_mb: 2048
  source_tables:
    - name: sales
      logs_days: 5
"""


def git(cwd: Path, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def run(script: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script), *args], cwd=cwd, capture_output=True, text=True
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A generated project's git repository with one committed config file."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "dev.yaml").write_text(CONFIG)
    git(tmp_path, "init", "--quiet")
    git(tmp_path, "add", "--all")
    git(tmp_path, "commit", "--quiet", "-m", "Generate")
    return tmp_path


def leave_conflict(project: Path, name: str, base: str, ours: str, theirs: str) -> None:
    """Leave `name` as copier leaves a file it could not merge: the team's version committed,
    the merge with conflict markers in the working tree, the three versions as index stages."""
    path = project / name
    path.write_text(ours)
    git(project, "add", name)
    git(project, "commit", "--quiet", "-m", "Team work")
    versions = {1: base, 2: ours, 3: theirs}
    for stage, text in versions.items():
        (project / f"stage{stage}").write_text(text)
    labels = ["-L", "before updating", "-L", "last update", "-L", "after updating"]
    merged = subprocess.run(
        ["git", "merge-file", "-p", *labels, "stage2", "stage1", "stage3"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert merged.returncode > 0, "the example must conflict"
    path.write_text(merged.stdout)
    entries = [f"0 {'0' * 40}\t{name}"]
    for stage, text in versions.items():
        blob = git(project, "hash-object", "-w", "--stdin", stdin=text).strip()
        entries.append(f"100644 {blob} {stage}\t{name}")
        (project / f"stage{stage}").unlink()
    git(project, "update-index", "--index-info", stdin="\n".join(entries) + "\n")


def unmerged(project: Path) -> list[str]:
    return git(project, "diff", "--name-only", "--diff-filter=U").split()


# ─── rename_key ──────────────────────────────────────────────────────────────────────────


def test_renames_only_the_key_at_that_path_keeping_value_and_comments() -> None:
    renamed, count = rename_key(CONFIG, OLD.split("."), "logs_expiration_days")

    assert count == 1
    assert "  logs_expiration_days: 30  # a month\n" in renamed
    # The same name elsewhere (top level, another section, a list item) is another key.
    assert "\nlogs_days: 1\n" in renamed
    assert "pipeline:\n  logs_days: 7\n" in renamed
    assert "      logs_days: 5\n" in renamed
    assert renamed.replace("logs_expiration_days: 30", "logs_days: 30") == CONFIG


def test_renames_a_nested_key_and_a_top_level_key() -> None:
    nested, count = rename_key(CONFIG, ["pipeline", "train_model", "memory_mb"], "memory_mib")
    assert count == 1 and "  train_model:\n    memory_mib: 2048\n" in nested

    top, count = rename_key(CONFIG, ["logs_days"], "log_days")
    assert count == 1 and "\nlog_days: 1\n" in top and "  logs_days: 30" in top


def test_a_missing_key_is_left_alone() -> None:
    assert rename_key(CONFIG, ["network", "cidr"], "cidr_block") == (CONFIG, 0)


# ─── remove_config_key.py ────────────────────────────────────────────────────────────────


def test_removes_only_the_key_at_that_path_with_its_block() -> None:
    text, value = remove_key(CONFIG, ["pipeline", "source_tables"])
    assert value == "- name: sales\n      logs_days: 5"
    assert "source_tables" not in text and "sales" not in text
    assert "  train_model:\n    memory_mb: 2048\n" in text
    assert "  logs_days: 30  # a month" in text and "logs_days: 1" in text


def test_removes_a_section_left_empty_and_keeps_what_follows() -> None:
    config = "data_lake:\n  raw_days: 90\n\npipeline:\n  logs_days: 7\n"
    text, value = remove_key(config, ["data_lake", "raw_days"])
    assert value == "90"
    assert text == "\npipeline:\n  logs_days: 7\n"


def test_a_key_not_set_is_left_alone() -> None:
    assert remove_key(CONFIG, ["network", "cidr"]) == (CONFIG, None)


def test_removes_in_every_environment_telling_the_value_then_finds_nothing(
    project: Path,
) -> None:
    (project / "config" / "qa.yaml").write_text(CONFIG.replace("raw_days: 90", "raw_days: 120"))
    key, why = "data_lake.raw_days", "raw/ now moves to Infrequent Access after 90 days"

    first = run(REMOVE, project, key, "--why", why)

    assert first.returncode == 0, first.stderr
    assert f"remove {key}: config/dev.yaml: removed (it was 90); {why}" in first.stdout
    assert f"remove {key}: config/qa.yaml: removed (it was 120); {why}" in first.stdout
    assert "raw_days" not in (project / "config" / "qa.yaml").read_text()
    second = run(REMOVE, project, key, "--why", why)
    assert second.stdout.count("not set: nothing to do") == 2


# ─── move_config_key.py ──────────────────────────────────────────────────────────────────
EMAILS = ["pipeline", "notification_emails"], ["monitoring", "notification_emails"]


def test_moves_a_block_value_with_its_comments_and_drops_the_emptied_section() -> None:
    config = (
        "region: eu-west-1\n\npipeline:\n  notification_emails:\n    - a@example.com\n"
        "    # on call\n    - b@example.com\n"
    )
    text, moved = move_key(config, *EMAILS)
    assert moved
    assert text == (
        "region: eu-west-1\nmonitoring:\n  notification_emails:\n    - a@example.com\n"
        "    # on call\n    - b@example.com\n"
    )


def test_moves_an_inline_value_to_the_top_of_an_existing_section() -> None:
    config = "pipeline:\n  notification_emails: [a@example.com]\n  wait_seconds: 5\n"
    config += "monitoring:\n  period_minutes: 1\n"
    text, moved = move_key(config, *EMAILS)
    assert moved
    assert text == (
        "pipeline:\n  wait_seconds: 5\nmonitoring:\n  notification_emails: [a@example.com]\n"
        "  period_minutes: 1\n"
    )


def test_moves_in_every_environment_then_finds_nothing_to_do(project: Path) -> None:
    (project / "config" / "qa.yaml").write_text("pipeline:\n  notification_emails: []\n")
    old, new = (".".join(path) for path in EMAILS)

    first = run(MOVE, project, old, new)

    assert first.returncode == 0, first.stderr
    assert f"move {old}: config/qa.yaml: now {new}, with its value" in first.stdout
    assert (project / "config" / "qa.yaml").read_text() == (
        "monitoring:\n  notification_emails: []\n"
    )
    assert run(MOVE, project, old, new).stdout.count("not set: nothing to do") == 2


# ─── rename_config_key.py ────────────────────────────────────────────────────────────────


def test_renames_in_every_environment_and_says_so_then_finds_nothing_to_do(
    project: Path,
) -> None:
    (project / "config" / "qa.yaml").write_text(CONFIG.replace("30", "45"))

    first = run(RENAME, project, OLD, NEW)

    assert first.returncode == 0, first.stderr
    assert f"rename {OLD} -> {NEW}: config/dev.yaml: renamed; its value is kept" in first.stdout
    assert f"rename {OLD} -> {NEW}: config/qa.yaml: renamed; its value is kept" in first.stdout
    assert "  logs_expiration_days: 45  # a month" in (project / "config/qa.yaml").read_text()

    second = run(RENAME, project, OLD, NEW)

    assert second.returncode == 0, second.stderr
    assert second.stdout.count("already renamed: nothing to do") == 2
    assert "  logs_expiration_days: 30  # a month" in (project / "config/dev.yaml").read_text()


def test_a_file_with_both_names_is_left_for_a_person(project: Path) -> None:
    both = CONFIG.replace("  raw_days: 90", "  logs_expiration_days: 14")
    (project / "config" / "dev.yaml").write_text(both)

    result = run(RENAME, project, OLD, NEW)

    assert f"has both {OLD} and {NEW}: keep one of them by hand" in result.stdout
    assert (project / "config" / "dev.yaml").read_text() == both


def test_refuses_to_move_a_key_to_another_section(project: Path) -> None:
    result = run(RENAME, project, OLD, "pipeline.logs_days")

    assert result.returncode == 2
    assert "must differ in their last part only" in result.stderr
    assert (project / "config" / "dev.yaml").read_text() == CONFIG


def test_a_conflict_from_the_rename_is_merged_with_the_team_value(project: Path) -> None:
    # The team changed the value; the new template version renamed the key.
    ours = CONFIG.replace("logs_days: 30", "logs_days: 60")
    theirs = CONFIG.replace("  logs_days: 30", "  logs_expiration_days: 30")
    leave_conflict(project, "config/dev.yaml", CONFIG, ours, theirs)

    result = run(RENAME, project, OLD, NEW)

    assert "config/dev.yaml: renamed; your value is kept and merged" in result.stdout
    merged = (project / "config" / "dev.yaml").read_text()
    assert merged == theirs.replace("logs_expiration_days: 30", "logs_expiration_days: 60")
    # As copier leaves a file it merged cleanly: changed in the working tree, nothing staged.
    assert unmerged(project) == []
    assert git(project, "status", "--porcelain") == " M config/dev.yaml\n"


def test_other_conflicts_in_the_file_stay_marked_with_renamed_stages(project: Path) -> None:
    # ... and both changed another value, a few lines away.
    ours = CONFIG.replace("logs_days: 30", "logs_days: 60").replace(
        "memory_mb: 2048", "memory_mb: 1"
    )
    theirs = CONFIG.replace("  logs_days: 30", "  logs_expiration_days: 30").replace(
        "memory_mb: 2048", "memory_mb: 4096"
    )
    leave_conflict(project, "config/dev.yaml", CONFIG, ours, theirs)

    result = run(RENAME, project, OLD, NEW)

    assert "other changes in the file still conflict" in result.stdout
    merged = (project / "config" / "dev.yaml").read_text()
    assert "  logs_expiration_days: 60  # a month\n" in merged
    conflict = "<<<<<<< before updating\n    memory_mb: 1\n=======\n    memory_mb: 4096\n>>>>>>>"
    assert conflict in merged
    assert unmerged(project) == ["config/dev.yaml"]
    assert "logs_expiration_days: 60" in git(project, "show", ":2:config/dev.yaml")
    assert "logs_expiration_days: 30" in git(project, "show", ":1:config/dev.yaml")


# ─── report_conflicts.py ─────────────────────────────────────────────────────────────────


def test_report_says_when_nothing_needs_a_hand(project: Path) -> None:
    result = run(REPORT, project)

    assert result.returncode == 0
    assert result.stdout.startswith("copier update: no conflicts.")


def test_report_lists_conflicts_and_rejected_changes(project: Path) -> None:
    leave_conflict(project, "config/dev.yaml", CONFIG, CONFIG + "a: 1\n", CONFIG + "a: 2\n")
    (project / "app.py.rej").write_text("@@ a rejected hunk @@\n")

    result = run(REPORT, project)

    assert result.returncode == 0
    assert "config/dev.yaml: resolve the <<<<<<< / >>>>>>> markers" in result.stdout
    assert "app.py.rej: apply the rejected change to app.py by hand" in result.stdout


# ─── remove_leftover_folders.py ──────────────────────────────────────────────────────────

LEFTOVERS = TEMPLATE_ROOT / "hooks" / "remove_leftover_folders.py"


@pytest.fixture
def turned_off(project: Path) -> Path:
    """A project after `copier update` turned the pipeline off: copier deleted its files (not
    yet committed), and left the caches that a synth and an npm install wrote."""
    pipeline = project / "pkg" / "pipeline"
    (pipeline / "runtime").mkdir(parents=True)
    (pipeline / "infrastructure.py").write_text("STACK = 1\n")
    (pipeline / "runtime" / "train.py").write_text("MODEL = 1\n")
    (project / ".gitignore").write_text("__pycache__/\nnode_modules/\n")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "With the pipeline")
    (pipeline / "infrastructure.py").unlink()
    (pipeline / "runtime" / "train.py").unlink()
    for cache in (pipeline / "__pycache__", pipeline / "runtime" / "node_modules" / "x"):
        cache.mkdir(parents=True)
        (cache / "left.bin").write_bytes(b"\0")
    return pipeline


def test_removes_the_folder_of_a_component_turned_off_where_only_caches_are_left(
    project: Path, turned_off: Path
) -> None:
    result = run(LEFTOVERS, project, "pkg", "pipeline=False", "api=True")

    assert result.returncode == 0, result.stderr
    assert not turned_off.exists()
    assert "Removed pkg/pipeline/" in result.stdout


@pytest.mark.parametrize(
    "kept",
    ["notes.md", "infrastructure.py", "runtime/data/sample.csv"],
    ids=["untracked", "tracked", "ignored-by-git"],
)
def test_keeps_the_folder_while_a_file_of_the_team_is_in_it(
    project: Path, turned_off: Path, kept: str
) -> None:
    # infrastructure.py is still tracked; the team's .gitignore ignores its local data.
    (project / ".gitignore").write_text("__pycache__/\nnode_modules/\n*.csv\n")
    (turned_off / kept).parent.mkdir(parents=True, exist_ok=True)
    (turned_off / kept).write_text("the team's\n")

    result = run(LEFTOVERS, project, "pkg", "pipeline=False")

    assert result.returncode == 0, result.stderr
    assert (turned_off / kept).exists() and (turned_off / "__pycache__" / "left.bin").exists()
    assert result.stdout == ""


def test_leaves_the_folder_of_a_component_that_is_on(project: Path, turned_off: Path) -> None:
    result = run(LEFTOVERS, project, "pkg", "pipeline=True")

    assert result.returncode == 0, result.stderr
    assert (turned_off / "__pycache__" / "left.bin").exists()


# ─── rename_answer.py ────────────────────────────────────────────────────────────────────

ANSWER_RENAME = TEMPLATE_ROOT / "hooks" / "rename_answer.py"


def tiny_template(path: Path, question: str, migration: str = "") -> None:
    """A one-question template with the answer-rename migration, committed and tagged."""
    (path / "hooks").mkdir(parents=True, exist_ok=True)
    shutil.copy(ANSWER_RENAME, path / "hooks")
    (path / "copier.yml").write_text(
        f"{question}:\n  type: int\n  default: 3\n{migration}"
        "_subdirectory: project\n_answers_file: .copier-answers.yml\n"
    )
    (path / "project").mkdir(exist_ok=True)
    (path / "project" / "team.txt.jinja").write_text(f"size={{{{ {question} }}}}\n")
    (path / "project" / "{{ _copier_conf.answers_file }}.jinja").write_text(
        "{{ _copier_answers | to_nice_yaml }}"
    )


def test_a_renamed_question_keeps_the_team_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Copier commits in its scratch copies while it updates: git needs a user for that.
    for variable in ("GIT_AUTHOR", "GIT_COMMITTER"):
        monkeypatch.setenv(f"{variable}_NAME", "Test")
        monkeypatch.setenv(f"{variable}_EMAIL", "test@example.com")
    template, project = tmp_path / "template", tmp_path / "project"
    tiny_template(template, "team_size")
    git(template, "init", "--quiet")
    git(template, "add", "--all")
    git(template, "commit", "--quiet", "-m", "v1")
    git(template, "tag", "v1.0.0")
    migration = (
        "_migrations:\n"
        "  - version: v2.0.0\n"
        '    command: ["{{ _copier_python }}", "{{ _copier_conf.src_path }}/hooks/'
        'rename_answer.py", team_size, people]\n'
        "    when: \"{{ _stage == 'before' }}\"\n"
    )
    copier.run_copy(str(template), project, data={"team_size": 7}, defaults=True, unsafe=True)
    git(project, "init", "--quiet")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "Generate")
    (template / "project" / "team.txt.jinja").unlink()
    tiny_template(template, "people", migration)
    git(template, "add", "--all")
    git(template, "commit", "--quiet", "-m", "v2")
    git(template, "tag", "v2.0.0")

    copier.run_update(project, defaults=True, overwrite=True, unsafe=True, quiet=True)

    assert (project / "team.txt").read_text() == "size=7\n"
    answers = (project / ".copier-answers.yml").read_text()
    assert "people: 7" in answers and "team_size" not in answers


def test_renaming_an_answer_again_finds_nothing_to_do(tmp_path: Path) -> None:
    answers = tmp_path / ".copier-answers.yml"
    answers.write_text("_commit: v1.0.0\nteam_size: 7\nenvironments:\n- dev\n")

    first = run(ANSWER_RENAME, tmp_path, "team_size", "people")
    second = run(ANSWER_RENAME, tmp_path, "team_size", "people")

    assert "rename answer team_size -> people: .copier-answers.yml: renamed" in first.stdout
    assert "already renamed: nothing to do" in second.stdout
    assert answers.read_text() == "_commit: v1.0.0\npeople: 7\nenvironments:\n- dev\n"
