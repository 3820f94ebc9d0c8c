"""The variants file covers every pair of option values, or refuses the pairs it cannot."""

from __future__ import annotations

from itertools import combinations
from typing import Any

import yaml

from conftest import SUPPORTED, UNSUPPORTED
from matrix import TEMPLATE_ROOT

COPIER_YML = TEMPLATE_ROOT / "copier.yml"


def _questions() -> dict[str, dict[str, Any]]:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!include", lambda loader, node: None)
    documents = [d for d in yaml.load_all(COPIER_YML.read_text(), Loader=Loader) if d]
    return {
        name: spec
        for document in documents
        for name, spec in document.items()
        if not name.startswith("_") and isinstance(spec, dict) and spec.get("when") is not False
    }


QUESTIONS = _questions()
# Every toggle and every single-choice question is a dimension of the matrix.
DIMENSIONS = {
    name: [True, False] if spec["type"] == "bool" else list(spec["choices"])
    for name, spec in QUESTIONS.items()
    if spec["type"] == "bool" or ("choices" in spec and not spec.get("multiselect"))
}


def effective(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers with defaults filled in, and questions that are not asked left out."""
    values = {name: answers.get(name, QUESTIONS[name]["default"]) for name in DIMENSIONS}
    network = values["with_api"] or values["with_pipeline"] or values["with_frontend"]
    if not network:
        del values["nat_gateways"]
    return values


def pairs(values: dict[str, Any]) -> set[tuple[tuple[str, Any], tuple[str, Any]]]:
    return set(combinations(sorted(values.items(), key=lambda item: item[0]), 2))


def test_every_pair_of_values_is_covered_or_refused() -> None:
    covered = set().union(*(pairs(effective(a)) for a in SUPPORTED.values()))
    refused = set().union(*(pairs(effective(v["answers"])) for v in UNSUPPORTED.values()))
    every_pair = {
        ((a, va), (b, vb))
        for a, b in combinations(sorted(DIMENSIONS), 2)
        for va in DIMENSIONS[a]
        for vb in DIMENSIONS[b]
    }
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
