"""Builds the CDK app: ``app.py`` and the tests both come through here, cdk-nag included."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from infra.bundling import PROJECT_ROOT
from infra.config import StackConfig
from infra.stack import CsmsStack


def cdk_json_context(path: Path = PROJECT_ROOT / "cdk.json") -> dict[str, Any]:
    """``cdk.json``'s context, so ``python app.py`` synthesizes what ``cdk synth`` does."""
    context: dict[str, Any] = json.loads(path.read_text())["context"]
    return context


def create_app(context: dict[str, Any] | None = None, outdir: str | None = None) -> tuple[App, CsmsStack]:
    """The app with its one stack and the AwsSolutions checks (synth fails on an unacknowledged finding).

    ``context`` overrides cdk.json; context given by the CDK CLI (``-c key=value``) overrides both.
    No account lookups: the stack is environment-agnostic unless CDK_DEFAULT_ACCOUNT/REGION are set.
    """
    # The CDK CLI passes CDK_OUTDIR; run directly, CDK would pick a temporary directory instead.
    outdir = outdir or os.environ.get("CDK_OUTDIR") or str(PROJECT_ROOT / "cdk.out")
    app = App(context={**cdk_json_context(), **(context or {})}, outdir=outdir)
    config = StackConfig.from_node(app.node)
    env = None
    if os.environ.get("CDK_DEFAULT_ACCOUNT") and os.environ.get("CDK_DEFAULT_REGION"):
        env = Environment(account=os.environ["CDK_DEFAULT_ACCOUNT"], region=os.environ["CDK_DEFAULT_REGION"])
    stack = CsmsStack(app, config.stack_name, config=config, env=env)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return app, stack
