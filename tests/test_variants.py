"""The variants file covers every pair of option values, or refuses the pairs it cannot."""

from __future__ import annotations

import functools
from itertools import combinations
from typing import Any

import jinja2

from conftest import SUPPORTED, UNSUPPORTED
from questions_reference import load_all_questions, load_questions

ALL_QUESTIONS = load_all_questions()
QUESTIONS = load_questions()
# Every toggle and every single-choice question is a dimension of the matrix.
DIMENSIONS = {
    name: [True, False] if spec["type"] == "bool" else list(spec["choices"])
    for name, spec in QUESTIONS.items()
    if spec["type"] == "bool" or ("choices" in spec and not spec.get("multiselect"))
}
# Copier renders defaults and conditions with Ansible's filters available, and with the
# template's gettext (English is enough here: no dimension depends on a translated text).
JINJA = jinja2.Environment(
    extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension", "jinja2.ext.i18n"]
)
JINJA.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
CASTS = {"bool": lambda text: text == "True", "int": int}


@functools.cache
def _template(source: str) -> jinja2.Template:
    return JINJA.from_string(source)


def _render(value: Any, context: dict[str, Any], kind: str) -> Any:
    if not (isinstance(value, str) and "{{" in value):
        return value
    text = _template(value).render(**context)
    return CASTS.get(kind, str)(text)


def settle(choices: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The dimensions' values as copier settles them, for every combination of ``choices``
    (each question's answers to try; one not given takes its default, rendered like copier
    renders it), without the questions that copier does not ask.

    Question by question in copier's order, so that combinations that share their first
    answers share that work: the dimensions' product has tens of thousands of combinations,
    each of which rendered every question's default and condition again (20 s)."""
    questions = list(ALL_QUESTIONS.items())
    settled: list[dict[str, Any]] = []

    def walk(index: int, context: dict[str, Any], values: dict[str, Any]) -> None:
        if index == len(questions):
            settled.append(values)
            return
        name, spec = questions[index]
        if name in choices:
            answers = choices[name]
        else:
            answers = [_render(spec.get("default"), context, spec["type"])]
        for answer in answers:
            here = {**context, name: answer}
            asked = _render(spec.get("when", True), here, "bool")
            walk(
                index + 1,
                here,
                {**values, name: answer} if name in DIMENSIONS and asked else values,
            )

    walk(0, {}, {})
    return settled


def effective(answers: dict[str, Any]) -> dict[str, Any]:
    """The dimensions' values of one set of answers (see settle)."""
    (values,) = settle({name: [value] for name, value in answers.items()})
    return values


def pairs(values: dict[str, Any]) -> set[tuple[tuple[str, Any], tuple[str, Any]]]:
    return set(combinations(sorted(values.items(), key=lambda item: item[0]), 2))


def test_every_pair_of_values_is_covered_or_refused() -> None:
    covered = set().union(*(pairs(effective(a)) for a in SUPPORTED.values()))
    refused = set().union(*(pairs(effective(v["answers"])) for v in UNSUPPORTED.values()))
    # The pairs that can occur: both questions asked in some combination of answers.
    every_combination = {tuple(values.items()) for values in settle(DIMENSIONS)}
    every_pair = set().union(*(pairs(dict(values)) for values in every_combination))
    missing = sorted(every_pair - covered - refused, key=str)
    assert missing == [], f"no variant covers or refuses: {missing}"


def test_each_component_appears_alone_and_all_together() -> None:
    components = ["with_api", "with_pipeline", "with_frontend"]
    on = {name: [c for c in components if effective(a)[c]] for name, a in SUPPORTED.items()}
    assert set(on["all_on"]) == set(components)
    assert on["minimal"] == []
    assert ["with_api"] in on.values() and ["with_pipeline"] in on.values()
    assert any(c == ["with_api", "with_frontend"] for c in on.values())


def test_variant_answers_name_real_questions() -> None:
    for name, answers in {**SUPPORTED, **{k: v["answers"] for k, v in UNSUPPORTED.items()}}.items():
        unknown = set(answers) - set(QUESTIONS)
        assert not unknown, f"{name} answers questions that do not exist: {unknown}"
