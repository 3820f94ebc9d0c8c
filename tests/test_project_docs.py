"""The rendered project's docs/architecture.md draws exactly the components the project has,
and its README points to it."""

from __future__ import annotations

import re

import pytest

from conftest import MATRIX, Rendered

# Each component is a subgraph of the diagram, holding these nodes.
COMPONENT_NODES = {
    "network": {"s3_endpoint", "flow_logs"},
    "data_lake": {"data_bucket", "features_bucket", "access_logs_bucket"},
    "api": {"api_alb", "api_tasks"},
    "pipeline": {"state_machine", "export_job", "train_job", "import_job"},
    "frontend": {"frontend_alb", "frontend_instance"},
}
MERMAID = re.compile(r"^```mermaid\n(.*?)^```", re.M | re.S)


@pytest.fixture(params=sorted(MATRIX), ids=str)
def variant(request: pytest.FixtureRequest, rendered_variants: dict[str, Rendered]) -> Rendered:
    return rendered_variants[request.param]


def component_diagram(variant: Rendered) -> str:
    page = (variant.project_dir / "docs" / "architecture.md").read_text(encoding="utf-8")
    diagrams = MERMAID.findall(page)
    assert len(diagrams) == 2, "a component diagram and a delivery diagram"
    return diagrams[0]


def node_ids(diagram: str) -> set[str]:
    """Every node and subgraph a Mermaid flowchart declares: `id[`, `id(`, `subgraph id[`."""
    return set(re.findall(r"^\s*(?:subgraph )?(\w+)[\[(]", diagram, re.M))


def test_diagram_has_exactly_the_components_turned_on(variant: Rendered) -> None:
    answers = variant.answers
    diagram = component_diagram(variant)
    subgraphs = set(re.findall(r"^\s*subgraph (\w+)\[", diagram, re.M))
    expected = {name for name in COMPONENT_NODES if answers[f"with_{name}"]}
    assert subgraphs == expected
    nodes = node_ids(diagram)
    for component, members in COMPONENT_NODES.items():
        present = members & nodes
        assert present == (members if answers[f"with_{component}"] else set()), component


def test_every_edge_joins_declared_nodes(variant: Rendered) -> None:
    diagram = component_diagram(variant)
    declared = node_ids(diagram)
    edges = re.findall(r"^\s*(\w+) -[-.]+>(?:\|[^|]*\|)? (\w+)$", diagram, re.M)
    assert edges
    undeclared = {node for edge in edges for node in edge} - declared
    assert undeclared == set()


@pytest.mark.variants("minimal")
def test_minimal_project_draws_the_data_lake_alone(rendered_variants: dict[str, Rendered]) -> None:
    nodes = node_ids(component_diagram(rendered_variants["minimal"]))
    assert "data_bucket" in nodes
    assert not {"api", "api_tasks", "http_api", "pipeline", "network", "frontend"} & nodes


def test_delivery_diagram_deploys_the_environments_in_order(variant: Rendered) -> None:
    page = (variant.project_dir / "docs" / "architecture.md").read_text(encoding="utf-8")
    delivery = MERMAID.findall(page)[1]
    order = [name for name in ("dev", "staging", "prod") if name in variant.answers["environments"]]
    assert "ci --> " + " --> ".join(f"deploy_{name}" for name in order) in delivery


def test_readme_links_the_architecture_page(variant: Rendered) -> None:
    readme = (variant.project_dir / "README.md").read_text(encoding="utf-8")
    assert "(docs/architecture.md)" in readme
