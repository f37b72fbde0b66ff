"""cdk-nag (v3) acknowledgments: every one carries its reason, next to the resource it excuses."""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnElement, Stack, Validations
from constructs import IConstruct

MIN_REASON_LENGTH = 40
"""A reason must explain, not just name, the exception (checked here and in tests/infra)."""


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one AwsSolutions finding on ``scope`` and everything below it."""
    if len(reason) < MIN_REASON_LENGTH:
        raise ValueError(f"{rule_id}: a suppression needs a real reason, got {reason!r}")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def arn_token(element: IConstruct, attribute: str = "Arn") -> str:
    """How cdk-nag spells ``Fn::GetAtt`` of an element in a finding id: ``<LogicalId.Arn>``."""
    default_child = element.node.default_child
    cfn = default_child if isinstance(default_child, CfnElement) else element
    assert isinstance(cfn, CfnElement)
    return f"<{Stack.of(cfn).get_logical_id(cfn)}.{attribute}>"


def ref_token(element: IConstruct) -> str:
    """How cdk-nag spells ``Ref`` of an element in a finding id: ``<LogicalId>``."""
    default_child = element.node.default_child
    cfn = default_child if isinstance(default_child, CfnElement) else element
    assert isinstance(cfn, CfnElement)
    return f"<{Stack.of(cfn).get_logical_id(cfn)}>"
