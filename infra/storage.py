"""DynamoDB: one table per definition in ``shared/storage/tables.py``, nothing declared twice."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra.nag import acknowledge
from shared.storage.tables import ALL_TABLES, KeyAttribute, TableDefinition

_ATTRIBUTE_TYPES = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER}


def _attribute(key: KeyAttribute | None) -> dynamodb.Attribute | None:
    return None if key is None else dynamodb.Attribute(name=key.name, type=_ATTRIBUTE_TYPES[key.type])


class Tables(Construct):
    """On-demand, encrypted with the AWS-managed KMS key; business data kept through stack deletion."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self._tables: dict[TableDefinition, dynamodb.Table] = {}
        for definition in ALL_TABLES:
            self._tables[definition] = self._table(definition)

    def _table(self, definition: TableDefinition) -> dynamodb.Table:
        business = definition.holds_business_data
        table = dynamodb.Table(
            self,
            definition.logical_id,
            partition_key=_attribute(definition.partition_key),
            sort_key=_attribute(definition.sort_key),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=business
            ),
            deletion_protection=business,
            removal_policy=RemovalPolicy.RETAIN if business else RemovalPolicy.DESTROY,
            time_to_live_attribute=definition.ttl_attribute,
            stream=dynamodb.StreamViewType.NEW_IMAGE if definition.stream else None,
        )
        for index in definition.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_attribute(index.partition_key),
                sort_key=_attribute(index.sort_key),
                projection_type=dynamodb.ProjectionType.ALL,
            )
        if not business:
            acknowledge(
                table,
                "AwsSolutions-DDB3",
                f"{definition.logical_id} holds no business data, only short-lived records that expire "
                f"through TTL ({definition.ttl_attribute}); a point-in-time restore of them would be "
                "meaningless, so the continuous backup is not paid for.",
            )
        return table

    def table(self, definition: TableDefinition) -> dynamodb.Table:
        return self._tables[definition]

    @property
    def all(self) -> dict[TableDefinition, dynamodb.Table]:
        return dict(self._tables)
