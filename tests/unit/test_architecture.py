"""Which module may import which (docs/architecture.md, "Import rules"): a forbidden import fails here.

Every import counts, including those inside functions (lazy imports are still dependencies)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# (modules the rule applies to, imports they may not have, why)
RULES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        "shared.domain",
        (
            "boto3",
            "botocore",
            "shared.storage",
            "shared.gateway",
            "shared.api",
            "shared.management",
            "shared.charging",
            "shared.ocpp",
            "shared.wiring",
            "aws_lambda_powertools",
        ),
        "the domain is pure: models and rules, no I/O and no protocol",
    ),
    (
        "shared.ports",
        (
            "boto3",
            "botocore",
            "shared.storage",
            "shared.gateway",
            "shared.api",
            "shared.ocpp",
            "shared.charging",
        ),
        "ports are interfaces over domain models",
    ),
    (
        "shared.charging",
        (
            "boto3",
            "botocore",
            "shared.storage",
            "shared.gateway",
            "shared.api",
            "shared.management",
            "shared.ocpp",
            "shared.wiring",
            "ocpp",
        ),
        "services are version-neutral and depend on ports, not adapters",
    ),
    (
        "shared.ocpp",
        (
            "boto3",
            "botocore",
            "shared.storage",
            "shared.gateway",
            "shared.api",
            "shared.management",
            "shared.wiring",
        ),
        "protocols map frames to services; adapters come in through ports",
    ),
    (
        "shared.storage",
        (
            "shared.api",
            "shared.management",
            "shared.charging",
            "shared.ocpp",
            "shared.gateway",
            "shared.wiring",
        ),
        "repositories know DynamoDB and domain models only",
    ),
    (
        "shared.gateway",
        ("shared.api", "shared.management", "shared.storage"),
        "gateway adapters sit at the charger edge",
    ),
    (
        "shared.energy",
        ("boto3", "botocore", "shared.storage", "shared.gateway", "shared.api", "shared.wiring"),
        "the allocator is pure",
    ),
    (
        "shared.management",
        ("shared.api", "boto3", "botocore"),
        "what operators do returns domain objects; the API maps them to views",
    ),
    (
        "shared.api",
        (
            "boto3",
            "botocore",
            *(f"shared.storage.{m}" for m in ("dynamo", "stations", "sessions", "commands")),
        ),
        "the HTTP layer reaches data through management (table declarations it may read)",
    ),
    (
        "shared",
        ("tools", "tests", "infra", "functions"),
        "the Lambda package never imports the local platform, tests or CDK",
    ),
    ("functions", ("tools", "tests", "infra", "boto3"), "handlers are decorators plus one call into shared/"),
    (
        "infra",
        (
            "tools",
            "tests",
            "functions",
            "shared.api",
            "shared.domain",
            "shared.management",
            "shared.ocpp",
            "shared.gateway",
            "shared.charging",
        ),
        "CDK reads declarations (catalog, tables, settings), never runtime modules",
    ),
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _sources() -> list[Path]:
    return sorted(
        path
        for folder in ("shared", "functions", "infra")
        for path in (ROOT / folder).rglob("*.py")
        if "__pycache__" not in path.parts
    )


def _matches(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.mark.parametrize(("scope", "forbidden", "why"), RULES, ids=[rule[0] for rule in RULES])
def test_import_rules(scope: str, forbidden: tuple[str, ...], why: str) -> None:
    violations = [
        f"{_module_name(path)} imports {name}"
        for path in _sources()
        if _matches(_module_name(path), scope)
        for name in sorted(_imports(path))
        if any(_matches(name, prefix) for prefix in forbidden)
    ]
    assert violations == [], f"{why}:\n" + "\n".join(violations)


def test_the_rules_see_imports_inside_functions(tmp_path: Path) -> None:
    source = tmp_path / "lazy.py"
    source.write_text("def f():\n    import boto3\n    from shared.storage import tables\n")
    assert _imports(source) == {"boto3", "shared.storage"}
