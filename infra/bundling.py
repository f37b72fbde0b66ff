"""The Lambda code assets: ``shared/``, ``functions/`` and the runtime dependencies, built without Docker.

Every function shares one asset, except those whose catalog entry bundles an optional-dependency group
(``FunctionSpec.bundle_extras``: the allocator's ``energy``, HiGHS and numpy): each distinct set of
groups is one more asset, so no other function carries (or cold-starts with) them.

``pip install --platform manylinux2014_aarch64 --only-binary=:all:`` fetches the wheels Lambda's
Python 3.11 arm64 runtime needs, whatever machine synthesizes. With ``bundleDependencies=false`` only
the project's own packages are copied: the tests' fast path, no network.
"""

from __future__ import annotations

import compileall
import py_compile
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, IgnoreMode, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from infra.constants import CODE_ASSET_PACKAGES, LAMBDA_PIP_PLATFORM, LAMBDA_PYTHON_VERSION

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_NEVER_BUNDLED = shutil.ignore_patterns("__pycache__", "*.pyc", "tests")


def runtime_dependencies(pyproject: Path = PROJECT_ROOT / "pyproject.toml") -> list[str]:
    """The ``[project] dependencies`` of pyproject.toml: what the Lambdas import at run time."""
    with pyproject.open("rb") as file:
        dependencies: list[str] = tomllib.load(file)["project"]["dependencies"]
    return dependencies


def optional_dependencies(
    extras: tuple[str, ...], pyproject: Path = PROJECT_ROOT / "pyproject.toml"
) -> list[str]:
    """The ``[project.optional-dependencies]`` of the given groups (KeyError for an unknown one)."""
    with pyproject.open("rb") as file:
        groups: dict[str, list[str]] = tomllib.load(file)["project"]["optional-dependencies"]
    return [requirement for extra in extras for requirement in groups[extra]]


def pip_install_command(target: Path, requirements: list[str], *, dry_run: bool = False) -> list[str]:
    """What fills an asset with the Lambda platform's wheels; ``dry_run`` only resolves them (index
    metadata, no download): whether the asset can be built at all."""
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        *(("--dry-run", "--ignore-installed") if dry_run else ()),
        "--platform",
        LAMBDA_PIP_PLATFORM,
        "--implementation",
        "cp",
        "--python-version",
        LAMBDA_PYTHON_VERSION,
        "--only-binary=:all:",
        "--target",
        str(target),
        *requirements,
    ]


def asset_requirements(extras: tuple[str, ...]) -> list[str]:
    """What a code asset installs: the runtime dependencies and its optional groups."""
    return [*runtime_dependencies(), *optional_dependencies(extras)]


@jsii.implements(ILocalBundling)
class LocalPythonBundler:
    """Copies the project's packages and (optionally) installs the dependencies into the asset."""

    def __init__(
        self, project_root: Path, *, install_dependencies: bool, extras: tuple[str, ...] = ()
    ) -> None:
        self._project_root = project_root
        self._install_dependencies = install_dependencies
        self._extras = extras

    def try_bundle(self, output_dir: str, *_args: Any, **_options: Any) -> bool:
        output = Path(output_dir)
        if self._install_dependencies:
            # Dependencies first, so the project's own packages win any name clash.
            subprocess.run(pip_install_command(output, asset_requirements(self._extras)), check=True)
        for package in CODE_ASSET_PACKAGES:
            source = self._project_root / package
            if source.is_dir():
                shutil.copytree(source, output / package, ignore=_NEVER_BUNDLED, dirs_exist_ok=True)
        precompile(output)
        return True


def precompile(asset: Path) -> bool:
    """Bytecode for everything in the asset. Lambda's code directory is read-only, so without it every
    cold start compiles every module it imports from source (about half of an import's time here).
    Unchecked-hash pycs stay valid whatever the copied files' timestamps; they can only be built by the
    same Python minor version as the runtime's, so another synthesizing Python skips this (and says so)."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" != LAMBDA_PYTHON_VERSION:
        print(
            f"note: synthesizing with Python {sys.version_info.major}.{sys.version_info.minor}, not "
            f"{LAMBDA_PYTHON_VERSION}: the code asset ships without bytecode (slower cold starts)",
            file=sys.stderr,
        )
        return False
    return compileall.compile_dir(
        asset, quiet=1, workers=0, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
    )


def lambda_code(
    *, install_dependencies: bool, project_root: Path = PROJECT_ROOT, extras: tuple[str, ...] = ()
) -> lambda_.Code:
    """A code asset: the one shared by every function (handlers differ only in their import path), or
    with ``extras`` the one of the functions that bundle those optional-dependency groups."""
    return lambda_.Code.from_asset(
        str(project_root),
        # Fingerprint only what goes into the asset (gitignore semantics, so .venv is never walked).
        ignore_mode=IgnoreMode.GIT,
        exclude=[
            "/*",
            "!/pyproject.toml",
            *(f"!/{package}/" for package in CODE_ASSET_PACKAGES),
            "__pycache__/",
            "*.pyc",
        ],
        asset_hash_type=AssetHashType.SOURCE,
        bundling=BundlingOptions(
            # Never pulled: the local bundler always succeeds or raises. CDK requires an image.
            image=DockerImage.from_registry(f"public.ecr.aws/sam/build-python{LAMBDA_PYTHON_VERSION}"),
            local=LocalPythonBundler(project_root, install_dependencies=install_dependencies, extras=extras),
            # Part of the asset hash: a code-only asset is never mistaken for a full one in cdk.out, nor
            # one asset's extras for another's.
            environment={
                "CSMS_BUNDLE_DEPENDENCIES": "1" if install_dependencies else "0",
                "CSMS_BUNDLE_EXTRAS": ",".join(extras),
            },
        ),
    )


class CodeAssets:
    """One asset per distinct ``bundle_extras`` of the catalog, built on first use."""

    def __init__(self, *, install_dependencies: bool, project_root: Path = PROJECT_ROOT) -> None:
        self._install_dependencies = install_dependencies
        self._project_root = project_root
        self._assets: dict[tuple[str, ...], lambda_.Code] = {}

    def for_extras(self, extras: tuple[str, ...]) -> lambda_.Code:
        key = tuple(sorted(extras))
        if key not in self._assets:
            self._assets[key] = lambda_code(
                install_dependencies=self._install_dependencies, project_root=self._project_root, extras=key
            )
        return self._assets[key]
