"""The CSMS stack: a thin composition of one construct per capability."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.alert_notifications import AlertNotifications
from infra.api_gateway_account import ApiGatewayAccount
from infra.bundling import CodeAssets
from infra.config import StackConfig
from infra.dashboard_site import DashboardSite
from infra.domain_events import DomainEvents
from infra.event_rules import EventRules
from infra.functions import Functions, settings_env_var
from infra.object_storage import ObjectStorage
from infra.ocpp_edge import OcppEdge
from infra.operations import Operations
from infra.operator_api import OperatorApi
from infra.operator_identity import OperatorIdentity
from infra.storage import Tables
from infra.websocket_api import OcppWebSocketApi
from infra.workflows import Workflows
from shared.catalog import FUNCTIONS, HTTP_API_PREFIX, OCPP_PATH_PREFIX, OPERATOR_API
from shared.storage.buckets import DIAGNOSTICS_UPLOADS, FIRMWARE_IMAGES

OCPP_PUBLIC_URL_ENV = settings_env_var("ocpp_public_url")


class CsmsStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, description="Serverless CSMS (OCPP 1.6J / 2.0.1)", **kwargs)
        self.config = config

        self.tables = Tables(self, "Tables")
        self.events = DomainEvents(self, "DomainEvents")
        self.storage = ObjectStorage(self, "ObjectStorage")

        self.websocket = OcppWebSocketApi(self, "OcppWebSocket")
        if config.manage_api_gateway_account:
            account = ApiGatewayAccount(self, "ApiGatewayAccount")
            self.websocket.stage.node.add_dependency(account.account)

        self.functions = Functions(
            self,
            "Functions",
            code=CodeAssets(install_dependencies=config.bundle_dependencies),
            tables=self.tables,
            event_bus=self.events.bus,
            connections_stage=self.websocket.stage,
            config=config,
            buckets={FIRMWARE_IMAGES: self.storage.firmware, DIAGNOSTICS_UPLOADS: self.storage.diagnostics},
        )
        self.websocket.connect_routes(self.functions)

        self.edge = OcppEdge(
            self,
            "OcppEdge",
            stage=self.websocket.stage,
            log_bucket=self.storage.access_logs,
            custom_domain=config.custom_domain,
            web_acl_arn=config.web_acl_arn,
        )
        # What POST /v1/stations tells an operator to type into the charger (the edge, never the raw API).
        for spec in FUNCTIONS:
            if spec.tells_charger_url:
                self.functions.function(spec).add_environment(
                    OCPP_PUBLIC_URL_ENV, f"wss://{self.edge.domain_name}{OCPP_PATH_PREFIX.rstrip('/')}"
                )
        self.dashboard_site = DashboardSite(
            self, "DashboardSite", bucket=self.storage.dashboard, log_bucket=self.storage.access_logs
        )
        self.identity = OperatorIdentity(self, "OperatorIdentity", dashboard_url=self.dashboard_site.origin)
        self.operator_api = OperatorApi(
            self,
            "OperatorApi",
            handler=self.functions.function(OPERATOR_API),
            identity=self.identity,
            cors_allowed_origins=[self.dashboard_site.origin, *config.cors_allowed_origins],
        )
        self.dashboard_site.deploy(
            api_base_url=f"{self.operator_api.api.api_endpoint}{HTTP_API_PREFIX}",
            hosted_ui_url=self.identity.hosted_ui.base_url(),
            client_id=self.identity.dashboard_client.user_pool_client_id,
        )
        self.workflows = Workflows(self, "Workflows", functions=self.functions.all)
        self.event_rules = EventRules(self, "EventRules", bus=self.events.bus, functions=self.functions.all)
        self.alert_notifications = AlertNotifications(
            self, "AlertNotifications", bus=self.events.bus, alert_email=config.alert_email
        )
        self.operations = Operations(
            self,
            "Operations",
            functions=self.functions.all,
            dead_letter_queues={**self.functions.dead_letter_queues, **self.event_rules.dead_letter_queues},
            websocket_stage=self.websocket.stage,
            state_machines=self.workflows.state_machines,
            alarm_email=config.alarm_email,
        )
        self._outputs()

    def _outputs(self) -> None:
        outputs = {
            "ChargerUrl": (f"wss://{self.edge.domain_name}{OCPP_PATH_PREFIX}", "Chargers append their id"),
            "ManagementApiEndpoint": (self.websocket.stage.callback_url, "@connections endpoint"),
            "OperatorApiUrl": (self.operator_api.api.api_endpoint, "Operator HTTP API"),
            "DashboardUrl": (self.dashboard_site.origin, "Operator dashboard"),
            "DashboardBucketName": (self.storage.dashboard.bucket_name, "Dashboard files (deployed by CDK)"),
            "FirmwareBucketName": (self.storage.firmware.bucket_name, "Firmware images"),
            "DiagnosticsBucketName": (self.storage.diagnostics.bucket_name, "Charger diagnostics uploads"),
            "UserPoolId": (self.identity.user_pool.user_pool_id, "Operator identities"),
            "UserPoolClientId": (self.identity.dashboard_client.user_pool_client_id, "Dashboard app client"),
            "EventBusName": (self.events.bus.event_bus_name, "Domain events"),
            "AlarmTopicArn": (self.operations.alarm_topic.topic_arn, "Subscribe on-call here"),
            "AlertTopicArn": (self.alert_notifications.topic.topic_arn, "Fleet alerts (AlertRaised)"),
        }
        for name, (value, description) in outputs.items():
            CfnOutput(self, name, value=value, description=description)
