"""The synthesized template holds every piece issue 6 lists, built from shared/'s single sources of truth."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template
from cfnlint.api import ManualArgs, lint_file

from infra.constants import (
    ACCOUNT_SCOPE_ATTRIBUTE,
    DYNAMODB_READ_ACTIONS,
    DYNAMODB_WRITE_ACTIONS,
    HTTP_THROTTLE_BURST,
    HTTP_THROTTLE_RATE_PER_SECOND,
    METRICS_NAMESPACE,
    SERVICE_NAME,
    SITE_SCOPE_ATTRIBUTE,
    TENANT_ATTRIBUTE,
    WEBSOCKET_FORWARDED_HEADERS,
    WEBSOCKET_STAGE_NAME,
    WEBSOCKET_THROTTLE_BURST,
    WEBSOCKET_THROTTLE_RATE_PER_SECOND,
)
from infra.functions import EVENT_BUS_NAME_ENV, HEARTBEAT_INTERVAL_ENV, MANAGEMENT_API_ENDPOINT_ENV
from infra.naming import pascal_case
from shared.catalog import (
    ALLOCATOR,
    BUCKET_ACCESS_ACTIONS,
    EVENT_RULES,
    FUNCTIONS,
    HTTP_ROUTES,
    SCHEDULES,
    STATION_ID_QUERY_PARAMETER,
    WEBSOCKET_ROUTES,
    WEBSOCKET_ROUTES_WITH_RESPONSE,
    WS_AUTHORIZER,
    FunctionSpec,
)
from shared.domain.tenancy import Role
from shared.storage.tables import ALL_TABLES, TableDefinition
from shared.workflows.registry import WORKFLOWS
from tests.infra.conftest import Synth

# One xdist worker runs the whole suite, so the stack is synthesized once (see conftest).
pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]


# --- helpers --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(default_synth: Synth) -> Template:
    return Template.from_json(default_synth.template)


@pytest.fixture(scope="module")
def resources(default_synth: Synth) -> dict[str, dict[str, Any]]:
    resources: dict[str, dict[str, Any]] = default_synth.template["Resources"]
    return resources


def of_type(resources: dict[str, dict[str, Any]], resource_type: str) -> dict[str, dict[str, Any]]:
    return {key: value for key, value in resources.items() if value["Type"] == resource_type}


def logical_id(resources: dict[str, dict[str, Any]], resource_type: str, stem: str) -> str:
    """The one resource of a type whose logical id starts with a construct-path stem."""
    matches = [key for key in of_type(resources, resource_type) if key.startswith(stem)]
    assert len(matches) == 1, (resource_type, stem, matches)
    return matches[0]


def table_id(resources: dict[str, dict[str, Any]], definition: TableDefinition) -> str:
    return logical_id(resources, "AWS::DynamoDB::Table", f"Tables{definition.logical_id}")


def function_id(resources: dict[str, dict[str, Any]], spec: FunctionSpec) -> str:
    return logical_id(resources, "AWS::Lambda::Function", f"Functions{pascal_case(spec.name)}Function")


def role_statements(resources: dict[str, dict[str, Any]], spec: FunctionSpec) -> list[dict[str, Any]]:
    """Its default policy and, for a role with many grants (the operator API), the overflow policies CDK
    splits off once the inline policy would pass IAM's size limit (customer-managed, this role's only)."""
    stem = f"Functions{pascal_case(spec.name)}Role"
    statements: list[dict[str, Any]] = []
    for policy_type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for key, policy in of_type(resources, policy_type).items():
            if key.startswith(stem):
                statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def references(value: Any) -> set[str]:
    """Every logical id a CloudFormation value refers to (Ref / Fn::GetAtt), however nested."""
    found: set[str] = set()
    if isinstance(value, dict):
        if "Ref" in value:
            found.add(value["Ref"])
        if "Fn::GetAtt" in value:
            found.add(value["Fn::GetAtt"][0])
        for nested in value.values():
            found |= references(nested)
    elif isinstance(value, list):
        for nested in value:
            found |= references(nested)
    return found


# --- the one command and the checks -------------------------------------------------------------


def test_app_synthesizes_without_credentials_and_passes_cdk_nag(default_synth: Synth) -> None:
    # Given the app run as `cdk synth` runs it, with no AWS_* variables (see conftest)
    # Then it exited 0: the AwsSolutions checks are a validation plugin, an unacknowledged finding fails synth
    report = json.loads((default_synth.outdir / "validation-report.json").read_text())
    failed = [plugin for plugin in report["pluginReports"] if plugin["conclusion"] != "success"]
    assert failed == []
    nag_violations = [
        violation
        for plugin in report["pluginReports"]
        for violation in plugin.get("violations", [])
        if violation["ruleName"].startswith("AwsSolutions")
    ]
    assert nag_violations == []


def test_custom_domain_configuration_also_passes_cdk_nag(custom_domain_synth: Synth) -> None:
    report = json.loads((custom_domain_synth.outdir / "validation-report.json").read_text())
    assert [plugin for plugin in report["pluginReports"] if plugin["conclusion"] != "success"] == []


def test_synthesis_emits_no_warnings(default_synth: Synth) -> None:
    report = json.loads((default_synth.outdir / "validation-report.json").read_text())
    assert [v for plugin in report["pluginReports"] for v in plugin.get("violations", [])] == []


@pytest.mark.parametrize("configuration", ["default", "custom_domain"])
def test_cfn_lint_passes(synths: dict[str, Synth], configuration: str) -> None:
    synth = synths[configuration]
    assert synth.returncode == 0, synth.output
    # W3005: CDK adds DependsOn on a Lambda's role next to the GetAtt of it; redundant and harmless.
    matches = lint_file(synth.template_path, ManualArgs(ignore_checks=["W3005"]))
    assert [str(match) for match in matches] == []


# --- DynamoDB -------------------------------------------------------------------------------------


@pytest.mark.parametrize("definition", ALL_TABLES, ids=lambda d: d.logical_id)
def test_table_follows_its_shared_definition(
    resources: dict[str, dict[str, Any]], definition: TableDefinition
) -> None:
    table = resources[table_id(resources, definition)]
    properties = table["Properties"]
    key_schema = [{"AttributeName": definition.partition_key.name, "KeyType": "HASH"}]
    if definition.sort_key:
        key_schema.append({"AttributeName": definition.sort_key.name, "KeyType": "RANGE"})
    assert properties["KeySchema"] == key_schema
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["SSESpecification"] == {"SSEEnabled": True}
    assert sorted(properties["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == sorted(
        ({"AttributeName": a.name, "AttributeType": a.type} for a in definition.key_attributes()),
        key=lambda a: a["AttributeName"],
    )
    indexes = {index["IndexName"]: index for index in properties.get("GlobalSecondaryIndexes", [])}
    assert set(indexes) == {index.name for index in definition.indexes}
    for index in definition.indexes:
        schema = [{"AttributeName": index.partition_key.name, "KeyType": "HASH"}]
        if index.sort_key:
            schema.append({"AttributeName": index.sort_key.name, "KeyType": "RANGE"})
        assert indexes[index.name]["KeySchema"] == schema
        assert indexes[index.name]["Projection"] == {"ProjectionType": "ALL"}
    if definition.ttl_attribute:
        assert properties["TimeToLiveSpecification"] == {
            "AttributeName": definition.ttl_attribute,
            "Enabled": True,
        }
    else:
        assert "TimeToLiveSpecification" not in properties
    if definition.stream:
        assert properties["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    else:
        assert "StreamSpecification" not in properties
    business = definition.holds_business_data
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is business
    assert properties.get("DeletionProtectionEnabled", False) is business
    assert table["DeletionPolicy"] == ("Retain" if business else "Delete")
    assert "TableName" not in properties  # CloudFormation names tables; Lambdas get them by env var


def test_exactly_the_shared_tables_exist(resources: dict[str, dict[str, Any]]) -> None:
    assert len(of_type(resources, "AWS::DynamoDB::Table")) == len(ALL_TABLES)


# --- Lambda ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda s: s.name)
def test_function_follows_the_catalog(resources: dict[str, dict[str, Any]], spec: FunctionSpec) -> None:
    function_key = function_id(resources, spec)
    properties = resources[function_key]["Properties"]
    assert properties["Handler"] == spec.handler
    assert properties["Runtime"] == "python3.11"
    assert properties["Architectures"] == ["arm64"]
    assert properties["MemorySize"] == spec.memory_mb
    assert properties["Timeout"] == spec.timeout_seconds
    assert properties["TracingConfig"] == {"Mode": "Active"}
    assert "LogGroup" in properties["LoggingConfig"]
    dlq = properties["DeadLetterConfig"]["TargetArn"]["Fn::GetAtt"][0]
    assert resources[dlq]["Type"] == "AWS::SQS::Queue"
    assert resources[dlq]["Properties"]["SqsManagedSseEnabled"] is True

    environment = properties["Environment"]["Variables"]
    assert environment["POWERTOOLS_SERVICE_NAME"] == SERVICE_NAME
    assert environment["POWERTOOLS_METRICS_NAMESPACE"] == METRICS_NAMESPACE
    assert environment["POWERTOOLS_LOG_LEVEL"] == "INFO"
    assert environment[HEARTBEAT_INTERVAL_ENV] == "300"
    table_vars = {definition.env_var: definition for definition in ALL_TABLES}
    present = {name for name in environment if name in table_vars}
    assert present == {definition.env_var for definition in spec.tables}
    for definition in spec.tables:
        assert environment[definition.env_var] == {"Ref": table_id(resources, definition)}
    assert (MANAGEMENT_API_ENDPOINT_ENV in environment) is spec.manages_connections
    assert (EVENT_BUS_NAME_ENV in environment) is spec.publishes_events
    if spec.manages_connections:
        # The execute-api host and the stage: never the CloudFront/custom domain (403 on @connections).
        joined = environment[MANAGEMENT_API_ENDPOINT_ENV]["Fn::Join"][1]
        assert joined[0] == "https://"
        assert ".execute-api." in joined
        assert joined[-1] == f"/{WEBSOCKET_STAGE_NAME}"


def test_async_invocations_retry_then_land_in_the_dlq(template: Template) -> None:
    template.resource_count_is("AWS::Lambda::EventInvokeConfig", len(FUNCTIONS))
    template.all_resources_properties(
        "AWS::Lambda::EventInvokeConfig",
        {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": Match.any_value()},
    )
    # one per function, plus the rules' delivery DLQ when the catalog declares any rule or schedule
    rule_dlqs = 1 if EVENT_RULES or SCHEDULES else 0
    template.resource_count_is("AWS::SQS::Queue", len(FUNCTIONS) + rule_dlqs)


def test_every_queue_requires_tls(resources: dict[str, dict[str, Any]]) -> None:
    policies = of_type(resources, "AWS::SQS::QueuePolicy").values()
    secured = set()
    for policy in policies:
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Deny" and statement["Condition"] == {
                "Bool": {"aws:SecureTransport": "false"}
            }:
                secured |= references(policy["Properties"]["Queues"])
    assert secured == set(of_type(resources, "AWS::SQS::Queue"))


def test_one_code_asset_for_all_functions(resources: dict[str, dict[str, Any]]) -> None:
    # The catalog's functions; CDK's own deploy-time handler (dashboard upload) brings its code. A
    # function with extras (the allocator: highspy, numpy) has its own, so the others never carry them.
    def key(spec: Any) -> str:
        return str(resources[function_id(resources, spec)]["Properties"]["Code"]["S3Key"])

    plain = [spec for spec in FUNCTIONS if not spec.bundle_extras]
    assert len({key(spec) for spec in plain}) == 1
    with_extras = [spec for spec in FUNCTIONS if spec.bundle_extras]
    assert ALLOCATOR in with_extras
    assert {key(spec) for spec in with_extras}.isdisjoint({key(spec) for spec in plain})


def test_allocator_runs_every_minute_and_on_session_events(resources: dict[str, dict[str, Any]]) -> None:
    allocator_id = function_id(resources, ALLOCATOR)

    def targets_allocator(rule: dict[str, Any]) -> bool:
        return any(
            target["Arn"].get("Fn::GetAtt", [""])[0] == allocator_id
            for target in rule["Properties"]["Targets"]
        )

    rules = [r for r in of_type(resources, "AWS::Events::Rule").values() if targets_allocator(r)]
    schedules = [
        r["Properties"]["ScheduleExpression"] for r in rules if "ScheduleExpression" in r["Properties"]
    ]
    assert schedules == ["rate(1 minute)"]
    detail_types = {
        kind
        for r in rules
        if "EventPattern" in r["Properties"]
        for kind in r["Properties"]["EventPattern"]["detail-type"]
    }
    assert {"SessionStarted", "SessionStopped", "CommandCompleted"} <= detail_types


def test_code_asset_holds_the_packages_and_nothing_else(
    default_synth: Synth, resources: dict[str, dict[str, Any]]
) -> None:
    assets = json.loads((default_synth.outdir / f"{default_synth.stack_name}.assets.json").read_text())
    code_key = resources[function_id(resources, FUNCTIONS[0])]["Properties"]["Code"]["S3Key"]
    (directory,) = [
        file["source"]["path"]
        for file in assets["files"].values()
        if file["source"].get("packaging") == "zip"
        and any(destination["objectKey"] == code_key for destination in file["destinations"].values())
    ]
    contents = {path.name for path in (default_synth.outdir / directory).iterdir()}
    assert contents == {"shared", "functions"}
    # bytecode ships with the code (infra/bundling.py precompiles), never a stale local cache
    for cache in (default_synth.outdir / directory).rglob("*.pyc"):
        assert ".cpython-311." in cache.name and int.from_bytes(cache.read_bytes()[4:8], "little") == 0b01


# --- least privilege ------------------------------------------------------------------------------

_STREAM_ACTIONS = {"dynamodb:ListStreams", "dynamodb:DescribeStream", "dynamodb:GetRecords",
                   "dynamodb:GetShardIterator"}  # fmt: skip
_ALWAYS = {"logs:CreateLogStream", "logs:PutLogEvents", "sqs:SendMessage", "xray:PutTraceSegments",
           "xray:PutTelemetryRecords"}  # fmt: skip


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda s: s.name)
def test_role_grants_only_what_the_catalog_lists(
    resources: dict[str, dict[str, Any]], spec: FunctionSpec
) -> None:
    statements = role_statements(resources, spec)
    assert all(statement["Effect"] == "Allow" for statement in statements)

    # DynamoDB: exactly the catalog's tables, read or write as listed
    granted: dict[str, set[str]] = {}
    stream_actions: set[str] = set()
    for statement in statements:
        actions = set(as_list(statement["Action"]))
        if actions <= _STREAM_ACTIONS:
            stream_actions |= actions  # the event source mapping's read of the stream the catalog names
            continue
        if any(action.startswith("dynamodb:") for action in actions):
            for table in references(statement["Resource"]):
                granted.setdefault(table, set()).update(actions)
    expected = {
        table_id(resources, definition): set(
            DYNAMODB_READ_ACTIONS if access == "read" else DYNAMODB_WRITE_ACTIONS
        )
        for definition, access in spec.tables.items()
    }
    assert granted == expected
    assert bool(stream_actions) == (spec.stream_of is not None)

    # Everything else: logs, its DLQ, X-Ray, plus @connections / events only when the catalog says so
    other = {
        action
        for statement in statements
        for action in as_list(statement["Action"])
        if not action.startswith("dynamodb:")
    }
    allowed = set(_ALWAYS)
    if spec.manages_connections:
        allowed.add("execute-api:ManageConnections")
    if spec.publishes_events:
        allowed.add("events:PutEvents")
    if spec.stream_of is not None:
        allowed |= {"sqs:GetQueueAttributes", "sqs:GetQueueUrl"}  # the stream's on-failure DLQ
    if spec.starts_workflows:
        allowed.add("states:StartExecution")
    if spec.completes_workflow_tasks and WORKFLOWS:
        allowed |= {"states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"}
    for bucket_access in spec.buckets.values():
        allowed |= set(BUCKET_ACCESS_ACTIONS[bucket_access])
    if spec.reads_payment_secret:
        allowed |= {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}
    assert other == allowed


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda s: s.name)
def test_role_has_no_managed_policies(resources: dict[str, dict[str, Any]], spec: FunctionSpec) -> None:
    role = resources[logical_id(resources, "AWS::IAM::Role", f"Functions{pascal_case(spec.name)}Role")]
    assert "ManagedPolicyArns" not in role["Properties"]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"
    }


def test_connections_grant_is_limited_to_the_stage(resources: dict[str, dict[str, Any]]) -> None:
    (spec, *_) = [spec for spec in FUNCTIONS if spec.manages_connections]
    (statement,) = [
        s for s in role_statements(resources, spec) if s["Action"] == "execute-api:ManageConnections"
    ]
    parts = statement["Resource"]["Fn::Join"][1]
    assert parts[-1] == f"/{WEBSOCKET_STAGE_NAME}/*/@connections/*"


# --- WebSocket API --------------------------------------------------------------------------------


def test_websocket_api_routes_come_from_the_catalog(resources: dict[str, dict[str, Any]]) -> None:
    (api_key,) = [
        key for key, api in of_type(resources, "AWS::ApiGatewayV2::Api").items()
        if api["Properties"]["ProtocolType"] == "WEBSOCKET"
    ]  # fmt: skip
    route_ids = {
        route["Properties"]["RouteKey"]: key
        for key, route in of_type(resources, "AWS::ApiGatewayV2::Route").items()
        if route["Properties"]["ApiId"] == {"Ref": api_key}
    }
    assert set(route_ids) == set(WEBSOCKET_ROUTES)
    with_response = {
        response["Properties"]["RouteId"]["Ref"]
        for response in of_type(resources, "AWS::ApiGatewayV2::RouteResponse").values()
    }
    assert {key for key, route_id in route_ids.items() if route_id in with_response} == set(
        WEBSOCKET_ROUTES_WITH_RESPONSE
    )
    integrations = of_type(resources, "AWS::ApiGatewayV2::Integration")
    for route_key, spec in WEBSOCKET_ROUTES.items():
        route = resources[route_ids[route_key]]["Properties"]
        integration_key = route["Target"]["Fn::Join"][1][1]["Ref"]
        integration = integrations[integration_key]["Properties"]
        assert integration["IntegrationType"] == "AWS_PROXY"
        assert function_id(resources, spec) in references(integration["IntegrationUri"])
        if route_key == "$connect":
            authorizer = resources[route["AuthorizerId"]["Ref"]]["Properties"]
            assert route["AuthorizationType"] == "CUSTOM"
            assert authorizer["AuthorizerType"] == "REQUEST"
            # Only the station id: a missing Authorization header must still reach the authorizer.
            assert authorizer["IdentitySource"] == [f"route.request.querystring.{STATION_ID_QUERY_PARAMETER}"]
            assert function_id(resources, WS_AUTHORIZER) in references(authorizer["AuthorizerUri"])
        else:
            assert route.get("AuthorizationType", "NONE") == "NONE"


def test_default_route_has_a_route_response(template: Template) -> None:
    template.resource_count_is("AWS::ApiGatewayV2::RouteResponse", len(WEBSOCKET_ROUTES_WITH_RESPONSE))
    template.has_resource_properties("AWS::ApiGatewayV2::RouteResponse", {"RouteResponseKey": "$default"})


def test_websocket_stage_is_throttled_and_logged(template: Template, resources: dict[str, Any]) -> None:
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {
            "StageName": WEBSOCKET_STAGE_NAME,
            "AutoDeploy": True,
            "DefaultRouteSettings": {
                "ThrottlingRateLimit": WEBSOCKET_THROTTLE_RATE_PER_SECOND,
                "ThrottlingBurstLimit": WEBSOCKET_THROTTLE_BURST,
            },
            "AccessLogSettings": {
                "DestinationArn": Match.any_value(),
                "Format": Match.string_like_regexp(r"\$context\.connectionId"),
            },
        },
    )
    stage = resources[logical_id(resources, "AWS::ApiGatewayV2::Stage", "OcppWebSocketStage")]
    # WebSocket access logs need the account's API Gateway CloudWatch role in place first.
    account = logical_id(resources, "AWS::ApiGateway::Account", "ApiGatewayAccount")
    assert account in stage["DependsOn"]
    assert resources[account]["DeletionPolicy"] == "Retain"


# --- CloudFront edge ------------------------------------------------------------------------------


def test_edge_function_moves_the_station_id(template: Template, resources: dict[str, Any]) -> None:
    (function_key,) = of_type(resources, "AWS::CloudFront::Function")
    function = resources[function_key]["Properties"]
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert f'"{STATION_ID_QUERY_PARAMETER}"' in function["FunctionCode"]
    assert f'"/{WEBSOCKET_STAGE_NAME}"' in function["FunctionCode"]
    template.has_resource_properties(
        "AWS::CloudFront::Distribution",
        {
            "DistributionConfig": Match.object_like(
                {
                    "DefaultCacheBehavior": Match.object_like(
                        {
                            "ViewerProtocolPolicy": "https-only",
                            "FunctionAssociations": [
                                {"EventType": "viewer-request", "FunctionARN": Match.any_value()}
                            ],
                        }
                    ),
                    "Origins": [
                        Match.object_like(
                            {
                                "CustomOriginConfig": Match.object_like(
                                    {"OriginProtocolPolicy": "https-only", "OriginSSLProtocols": ["TLSv1.2"]}
                                )
                            }
                        )
                    ],
                    "Logging": Match.object_like({"Prefix": "cloudfront/ocpp/"}),
                }
            )
        },
    )


def test_edge_origin_is_the_websocket_api(resources: dict[str, Any]) -> None:
    distribution = resources[logical_id(resources, "AWS::CloudFront::Distribution", "OcppEdge")]
    (origin,) = distribution["Properties"]["DistributionConfig"]["Origins"]
    parts = origin["DomainName"]["Fn::Join"][1]
    assert parts[0] == {"Ref": logical_id(resources, "AWS::ApiGatewayV2::Api", "OcppWebSocketApi")}
    assert parts[1] == ".execute-api."
    assert "OriginPath" not in origin or origin["OriginPath"] == ""


def test_edge_forwards_basic_auth_and_handshake_headers(template: Template) -> None:
    # Authorization only through the cache policy (an origin request policy forwarding it is rejected)
    template.has_resource_properties(
        "AWS::CloudFront::CachePolicy",
        {
            "CachePolicyConfig": Match.object_like(
                {
                    "DefaultTTL": 0,
                    "MinTTL": 0,
                    "ParametersInCacheKeyAndForwardedToOrigin": Match.object_like(
                        {
                            "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": ["Authorization"]},
                            "QueryStringsConfig": {
                                "QueryStringBehavior": "whitelist",
                                "QueryStrings": [STATION_ID_QUERY_PARAMETER],
                            },
                        }
                    ),
                }
            )
        },
    )
    template.has_resource_properties(
        "AWS::CloudFront::OriginRequestPolicy",
        {
            "OriginRequestPolicyConfig": Match.object_like(
                {
                    "HeadersConfig": {
                        "HeaderBehavior": "whitelist",
                        "Headers": list(WEBSOCKET_FORWARDED_HEADERS),
                    },
                    "QueryStringsConfig": {"QueryStringBehavior": "all"},
                }
            )
        },
    )


def test_custom_domain_and_certificate_come_from_context(custom_domain_synth: Synth) -> None:
    template = Template.from_json(custom_domain_synth.template)
    template.has_resource_properties(
        "AWS::CloudFront::Distribution",
        {
            "DistributionConfig": Match.object_like(
                {
                    "Aliases": ["ocpp.example.org"],
                    "ViewerCertificate": {
                        "AcmCertificateArn": Match.string_like_regexp("^arn:aws:acm:us-east-1:"),
                        "MinimumProtocolVersion": "TLSv1.2_2021",
                        "SslSupportMethod": "sni-only",
                    },
                }
            )
        },
    )
    for record_type in ("A", "AAAA"):
        template.has_resource_properties(
            "AWS::Route53::RecordSet",
            {"Name": "ocpp.example.org.", "Type": record_type, "HostedZoneId": "Z0000000000000000000"},
        )
    template.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "oncall@example.org"}
    )
    template.has_output("ChargerUrl", {"Value": "wss://ocpp.example.org/ocpp/"})


# --- operator HTTP API and Cognito --------------------------------------------------------------


def test_http_routes_come_from_the_catalog(resources: dict[str, Any]) -> None:
    (api_key,) = [
        key for key, api in of_type(resources, "AWS::ApiGatewayV2::Api").items()
        if api["Properties"]["ProtocolType"] == "HTTP"
    ]  # fmt: skip
    routes = {
        route["Properties"]["RouteKey"]: route["Properties"]
        for route in of_type(resources, "AWS::ApiGatewayV2::Route").values()
        if route["Properties"]["ApiId"] == {"Ref": api_key}
    }
    preflights = {f"OPTIONS {r.path}" for r in HTTP_ROUTES if r.authorized and r.method == "ANY"}
    assert set(routes) == {f"{route.method} {route.path}" for route in HTTP_ROUTES} | preflights
    for key in preflights:
        # The CORS preflight carries no token: it must not meet the JWT authorizer.
        assert routes[key]["AuthorizationType"] == "NONE"
    for route in HTTP_ROUTES:
        properties = routes[f"{route.method} {route.path}"]
        assert properties["AuthorizationType"] == ("JWT" if route.authorized else "NONE")
        integration = resources[properties["Target"]["Fn::Join"][1][1]["Ref"]]["Properties"]
        assert integration["PayloadFormatVersion"] == "2.0"
        assert logical_id(resources, "AWS::Lambda::Function", "FunctionsOperatorApiFunction") in references(
            integration["IntegrationUri"]
        )


def test_jwt_authorizer_trusts_the_user_pool_and_dashboard_client(resources: dict[str, Any]) -> None:
    (authorizer,) = [
        a["Properties"] for a in of_type(resources, "AWS::ApiGatewayV2::Authorizer").values()
        if a["Properties"]["AuthorizerType"] == "JWT"
    ]  # fmt: skip
    pool = logical_id(resources, "AWS::Cognito::UserPool", "OperatorIdentityUserPool")
    client = logical_id(resources, "AWS::Cognito::UserPoolClient", "OperatorIdentityUserPoolDashboardClient")
    assert authorizer["JwtConfiguration"]["Audience"] == [{"Ref": client}]
    assert references(authorizer["JwtConfiguration"]["Issuer"]) == {pool, "AWS::Region"}
    assert authorizer["IdentitySource"] == ["$request.header.Authorization"]


def test_http_api_cors_and_throttling(template: Template, resources: dict[str, Any]) -> None:
    (http_api,) = [
        api["Properties"] for api in of_type(resources, "AWS::ApiGatewayV2::Api").values()
        if api["Properties"]["ProtocolType"] == "HTTP"
    ]  # fmt: skip
    cors = http_api["CorsConfiguration"]
    assert "*" not in json.dumps(cors["AllowOrigins"])
    dashboard = logical_id(resources, "AWS::CloudFront::Distribution", "DashboardSite")
    assert dashboard in references(cors["AllowOrigins"])
    assert "Authorization" in cors["AllowHeaders"]
    assert cors["AllowCredentials"] is False
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {
            "StageName": "$default",
            "DefaultRouteSettings": {
                "ThrottlingRateLimit": HTTP_THROTTLE_RATE_PER_SECOND,
                "ThrottlingBurstLimit": HTTP_THROTTLE_BURST,
            },
            "AccessLogSettings": Match.object_like(
                {"Format": Match.string_like_regexp(r"\$context\.requestId")}
            ),
        },
    )


def test_user_pool_carries_tenant_and_roles(template: Template, resources: dict[str, Any]) -> None:
    template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
            "MfaConfiguration": "ON",
            "DeletionProtection": "ACTIVE",
            "Policies": {"PasswordPolicy": Match.object_like({"MinimumLength": 12, "RequireSymbols": True})},
            "Schema": Match.array_with(
                [
                    Match.object_like({"Name": name, "AttributeDataType": "String", "Mutable": True})
                    for name in (TENANT_ATTRIBUTE, SITE_SCOPE_ATTRIBUTE, ACCOUNT_SCOPE_ATTRIBUTE)
                ]
            ),
        },
    )
    groups = {
        g["Properties"]["GroupName"] for g in of_type(resources, "AWS::Cognito::UserPoolGroup").values()
    }
    assert groups == {role.value for role in Role}
    (client,) = [c["Properties"] for c in of_type(resources, "AWS::Cognito::UserPoolClient").values()]
    assert client["GenerateSecret"] is False
    for attribute in (TENANT_ATTRIBUTE, SITE_SCOPE_ATTRIBUTE, ACCOUNT_SCOPE_ATTRIBUTE):
        assert f"custom:{attribute}" in client["ReadAttributes"]
    # Users can never move themselves to another tenant.
    assert not any(attribute.startswith("custom:") for attribute in client["WriteAttributes"])
    assert client["ExplicitAuthFlows"] == ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    # The dashboard's hosted-UI sign-in: code grant only (PKCE; no implicit flow), checked in
    # tests/infra/test_dashboard_site.py with its redirect URLs.
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert client["AllowedOAuthFlows"] == ["code"]


# --- events, storage, dashboard site -----------------------------------------------------------


def test_domain_event_bus_with_archive(template: Template, resources: dict[str, Any]) -> None:
    template.resource_count_is("AWS::Events::EventBus", 1)
    bus = logical_id(resources, "AWS::Events::EventBus", "DomainEventsBus")
    template.has_resource_properties(
        "AWS::Events::Archive", {"SourceArn": {"Fn::GetAtt": [bus, "Arn"]}, "RetentionDays": 30}
    )


@pytest.mark.parametrize("bucket", ["AccessLogs", "Firmware", "Diagnostics", "Dashboard"])
def test_bucket_is_private_encrypted_and_tls_only(resources: dict[str, Any], bucket: str) -> None:
    key = logical_id(resources, "AWS::S3::Bucket", f"ObjectStorage{bucket}")
    properties = resources[key]["Properties"]
    assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert resources[key]["DeletionPolicy"] == "Retain"
    if bucket != "AccessLogs":
        assert properties["LoggingConfiguration"]["DestinationBucketName"] == {
            "Ref": logical_id(resources, "AWS::S3::Bucket", "ObjectStorageAccessLogs")
        }
    (policy,) = [
        p["Properties"] for p in of_type(resources, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": key}
    ]  # fmt: skip
    conditions = [s.get("Condition") for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert {"Bool": {"aws:SecureTransport": "false"}} in conditions
    assert {"NumericLessThan": {"s3:TlsVersion": 1.2}} in conditions


def test_dashboard_is_served_through_origin_access_control(template: Template) -> None:
    template.resource_count_is("AWS::CloudFront::OriginAccessControl", 1)
    template.has_resource_properties(
        "AWS::CloudFront::Distribution",
        {
            "DistributionConfig": Match.object_like(
                {
                    "DefaultRootObject": "index.html",
                    "Origins": [Match.object_like({"OriginAccessControlId": Match.any_value()})],
                    "Logging": Match.object_like({"Prefix": "cloudfront/dashboard/"}),
                }
            )
        },
    )


# --- operations -----------------------------------------------------------------------------------


def test_alarms_cover_errors_throttles_and_dlqs(resources: dict[str, Any]) -> None:
    alarms = {key: alarm["Properties"] for key, alarm in of_type(resources, "AWS::CloudWatch::Alarm").items()}
    for spec in FUNCTIONS:
        stem = f"Operations{pascal_case(spec.name)}"
        for kind in ("ErrorRate", "Throttles", "DlqDepth"):
            assert [key for key in alarms if key.startswith(stem + kind)], (spec.name, kind)
    rule_dlq_alarms = 1 if EVENT_RULES or SCHEDULES else 0
    workflow_failure_alarms = len(WORKFLOWS)
    assert len(alarms) == 3 * len(FUNCTIONS) + rule_dlq_alarms + workflow_failure_alarms
    topic = logical_id(resources, "AWS::SNS::Topic", "OperationsAlarmTopic")
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [{"Ref": topic}]
        assert alarm["TreatMissingData"] == "notBreaching"


def test_dashboard_shows_the_issue_s_graphs(resources: dict[str, Any]) -> None:
    (dashboard,) = of_type(resources, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for title in (
        "Connected stations",
        "OCPP messages per minute",
        "Handler errors",
        "Handler latency",
        "Charging sessions",
        "Allocation runs",
        "Workflow failures",
    ):
        assert title in body, title


def test_stack_outputs(template: Template) -> None:
    for output in (
        "ChargerUrl",
        "ManagementApiEndpoint",
        "OperatorApiUrl",
        "DashboardUrl",
        "UserPoolId",
        "UserPoolClientId",
        "EventBusName",
        "FirmwareBucketName",
        "DiagnosticsBucketName",
        "DashboardBucketName",
        "AlarmTopicArn",
    ):
        template.has_output(output, {})


def test_log_groups_have_retention(template: Template) -> None:
    template.all_resources_properties("AWS::Logs::LogGroup", {"RetentionInDays": 30})
