"""How the variant matrix renders its variants quickly, each shortcut with why it is safe.

copier renders a template for one project at a time; the matrix renders the same template
for every variant, in one process per core. Five shortcuts keep copier's output while
leaving out work that is the same for every render or does nothing for a matrix variant: one
plain copy of the template instead of a git clone per render, copier.yml read once, Jinja
compiled once per source, the answers file's name rendered once per render, and no git call
per written file. tests/test_render.py holds the result to a plain `copier copy`, file by
file (docs/performance.md has the figures).
"""

from __future__ import annotations

import contextlib
import copy
import shutil
import subprocess
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import copier._main as copier_main
import copier._template as copier_template
import jinja2

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent


def template_snapshot(destination: Path) -> Path:
    """The template as copier would clone it, uncommitted changes included, in a plain folder:
    git's tracked and untracked files that .gitignore does not exclude."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=TEMPLATE_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    for name in filter(None, listed.stdout.split("\0")):
        source = TEMPLATE_ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is left out
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


@contextlib.contextmanager
def shortcuts() -> Iterator[None]:
    """Renders inside take the two in-process shortcuts below; copier and Jinja are as they
    were afterwards, so that a process can render plainly again (as the tests that compare
    the matrix with copier do)."""
    original_compile = jinja2.Environment.compile
    original_git_check = copier_main.is_git_available
    original_config = copier_template.load_template_config
    original_answers_relpath = copier_main.Worker.answers_relpath
    jinja2.Environment.compile = _shared_compile(original_compile)  # type: ignore[method-assign]
    copier_main.is_git_available = _no_git_index_sync
    copier_template.load_template_config = _shared_config(original_config)
    copier_main.Worker.answers_relpath = _answers_relpath_once(original_answers_relpath)  # type: ignore[method-assign]
    try:
        yield
    finally:
        jinja2.Environment.compile = original_compile  # type: ignore[method-assign]
        copier_main.is_git_available = original_git_check
        copier_template.load_template_config = original_config
        copier_main.Worker.answers_relpath = original_answers_relpath  # type: ignore[method-assign]


def _shared_config(original: Callable[..., Any]) -> Callable[..., Any]:
    """Read copier.yml (with the files it includes) once, however many renders ask for it.

    copier parses it for every render with PyYAML's pure-Python loader, since its `!include`
    needs a loader of its own: 0.16 s a render, the same result for every variant of one
    template. Each render gets its own copy, as copier may change what it is given.
    """
    loaded: dict[tuple[Path, bool], Any] = {}

    def shared_config(conf_path: Path, quiet: bool = False) -> Any:
        key = (Path(conf_path).resolve(), quiet)
        if key not in loaded:
            loaded[key] = original(conf_path, quiet)
        return copy.deepcopy(loaded[key])

    return shared_config


def _answers_relpath_once(original: property) -> property:
    """The answers file's path, rendered once per render rather than once per path part.

    copier renders the answers file's name (a Jinja string) with the whole render context
    again for every part of every path it writes, to tell whether the part is that file:
    about 570 times a render, a fifth of it. copier.yml's `_answers_file` is a plain name
    (`.copier-answers.yml`), the same whenever it is rendered.
    """
    cache = "_render_shortcuts_answers_relpath"

    def answers_relpath(worker: Any) -> Any:
        if cache not in worker.__dict__:
            worker.__dict__[cache] = original.fget(worker)  # type: ignore[misc]
        return worker.__dict__[cache]

    return property(answers_relpath)


def _shared_compile(original: Callable[..., Any]) -> Callable[..., Any]:
    """Compile each Jinja source once, however many renders ask for it.

    copier compiles every part of every path, and the answers file's name once per part,
    afresh for each render: about 1,500 compilations and half of a render's time, nearly all
    of them the same strings in every variant. The compiled code depends only on the source
    and the environment's syntax settings, which copier.yml fixes, so the renders share it.
    Extensions keep state per template in ``preprocess`` (copier's yield tag resets its
    context there), so that still runs for every template.
    """
    compiled: dict[tuple[Any, ...], Any] = {}
    # Each environment's syntax, read once: copier makes one environment per render.
    syntaxes: weakref.WeakKeyDictionary[jinja2.Environment, tuple[Any, ...]] = (
        weakref.WeakKeyDictionary()
    )

    def shared_compile(
        environment: jinja2.Environment,
        source: Any,
        name: str | None = None,
        filename: str | None = None,
        raw: bool = False,
        defer_init: bool = False,
    ) -> Any:
        if raw or not isinstance(source, str):
            return original(environment, source, name, filename, raw, defer_init)
        if environment not in syntaxes:
            syntaxes[environment] = _syntax(environment)
        key = (syntaxes[environment], source, name, filename, defer_init)
        if key in compiled:
            environment.preprocess(source, name, filename)
        else:
            compiled[key] = original(environment, source, name, filename, raw, defer_init)
        return compiled[key]

    return shared_compile


def _no_git_index_sync() -> bool:
    """Stands in for copier's ``is_git_available``, which only decides whether to sync a git
    index after writing each file (40% of a render once Jinja is shared).

    After writing each file, copier asks git (`git config core.fileMode`, a process) whether
    the destination's git index needs the file's executable bit. A matrix variant is a fresh
    folder outside any repository, where the answer never matters: the call is a no-op there
    by copier's own rule. test_render compares the files and their modes with copier's.
    """
    return False


def _syntax(environment: jinja2.Environment) -> tuple[Any, ...]:
    """What the code Jinja compiles a source to depends on, besides the source."""
    return (
        type(environment),
        environment.block_start_string,
        environment.block_end_string,
        environment.variable_start_string,
        environment.variable_end_string,
        environment.comment_start_string,
        environment.comment_end_string,
        environment.line_statement_prefix,
        environment.line_comment_prefix,
        environment.trim_blocks,
        environment.lstrip_blocks,
        environment.newline_sequence,
        environment.keep_trailing_newline,
        environment.optimized,
        environment.is_async,
        environment.finalize is not None,
        environment.autoescape
        if isinstance(environment.autoescape, bool)
        else id(environment.autoescape),
        tuple(sorted(environment.extensions)),
        frozenset(environment.filters),
        frozenset(environment.tests),
    )
