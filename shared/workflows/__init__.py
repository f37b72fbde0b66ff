"""Step Functions workflows and EventBridge schedules, declared once for CDK, the local platform and tests.

- ``definitions``: :class:`~shared.workflows.definitions.WorkflowSpec` (one ASL definition built in
  Python, with ``${<function name>}`` placeholders) and the helpers that build its states.
- ``registry``: ``WORKFLOWS``, every workflow the stack deploys.
- ``schedules``: the ``rate()``/``cron()`` grammar the catalog's ``SCHEDULES`` are checked against.

Kept free of imports: ``shared.catalog`` imports ``schedules`` while ``definitions`` imports the catalog.
"""
