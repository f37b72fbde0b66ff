"""Every workflow the stack deploys and the local platform runs.

To add one: build its ``WorkflowSpec`` in ``shared/workflows/<name>.py`` from catalog functions, then list it
here; functions that start it name it in ``FunctionSpec.starts_workflows``.
"""

from __future__ import annotations

from shared.workflows.billing import BILLING_WORKFLOWS
from shared.workflows.definitions import WorkflowSpec
from shared.workflows.firmware import FIRMWARE_WORKFLOWS

WORKFLOWS: tuple[WorkflowSpec, ...] = (*BILLING_WORKFLOWS, *FIRMWARE_WORKFLOWS)
