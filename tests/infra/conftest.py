"""Infrastructure suite: synthesizes the stack through ``app.py`` once per session and shares the result.

Two configurations are synthesized in parallel subprocesses, exactly as ``cdk synth`` runs the app
(context through CDK_CONTEXT_JSON, output through CDK_OUTDIR), without AWS credentials and with the
dependency install skipped (``bundleDependencies=false``): fast, no network.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra.bundling import PROJECT_ROOT

CUSTOM_DOMAIN_CONTEXT: dict[str, Any] = {
    "domainName": "ocpp.example.org",
    "certificateArn": "arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000",
    "hostedZoneId": "Z0000000000000000000",
    "hostedZoneName": "example.org",
    "alarmEmail": "oncall@example.org",
    "corsAllowedOrigins": "http://localhost:5173",
    "stackName": "CsmsCustomDomain",
}


@dataclass(frozen=True)
class Synth:
    outdir: Path
    stack_name: str
    returncode: int
    output: str

    @property
    def template(self) -> dict[str, Any]:
        template: dict[str, Any] = json.loads((self.outdir / f"{self.stack_name}.template.json").read_text())
        return template

    @property
    def template_path(self) -> Path:
        return self.outdir / f"{self.stack_name}.template.json"


def _credential_free_environment(context: dict[str, Any], outdir: Path) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment.pop("CDK_DEFAULT_ACCOUNT", None)
    environment.pop("CDK_DEFAULT_REGION", None)
    environment.update(CDK_CONTEXT_JSON=json.dumps(context), CDK_OUTDIR=str(outdir))
    # The machine's Node 20 works with jsii; its end-of-life banner would bury real failures.
    environment.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    return environment


@dataclass(frozen=True)
class _Running:
    process: subprocess.Popen[str]
    outdir: Path
    stack_name: str


@pytest.fixture(scope="session", autouse=True)
def _synths_started(tmp_path_factory: pytest.TempPathFactory) -> dict[str, _Running]:
    """Started with the first infra test and left running: the other tests use the wait."""
    configurations = {
        "default": ({"bundleDependencies": False}, "Csms"),
        "custom_domain": ({"bundleDependencies": False, **CUSTOM_DOMAIN_CONTEXT}, "CsmsCustomDomain"),
    }
    running = {}
    for name, (context, stack_name) in configurations.items():
        outdir = tmp_path_factory.mktemp(f"cdk-{name}")
        process = subprocess.Popen(
            [sys.executable, "app.py"],
            cwd=PROJECT_ROOT,
            env=_credential_free_environment(context, outdir),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        running[name] = _Running(process, outdir, stack_name)
    return running


@pytest.fixture(scope="session")
def synths(_synths_started: dict[str, _Running]) -> dict[str, Synth]:
    results = {}
    for name, run in _synths_started.items():
        output, _ = run.process.communicate(timeout=240)
        results[name] = Synth(run.outdir, run.stack_name, run.process.returncode, output)
    return results


@pytest.fixture(scope="session")
def default_synth(synths: dict[str, Synth]) -> Synth:
    synth = synths["default"]
    assert synth.returncode == 0, synth.output
    return synth


@pytest.fixture(scope="session")
def custom_domain_synth(synths: dict[str, Synth]) -> Synth:
    synth = synths["custom_domain"]
    assert synth.returncode == 0, synth.output
    return synth
