"""Every workflow the stack deploys and the local platform runs.

Billing's three (shared/workflows/billing.py); the allocator and firmware campaigns come next. To add
one: build its ``WorkflowSpec`` in ``shared/workflows/<name>.py`` from catalog functions, then list it
here; functions that start it name it in ``FunctionSpec.starts_workflows``.
"""

from __future__ import annotations

from shared.workflows.billing import BILLING_WORKFLOWS
from shared.workflows.definitions import WorkflowSpec

WORKFLOWS: tuple[WorkflowSpec, ...] = (*BILLING_WORKFLOWS,)
