"""Every DynamoDB table of the platform, declared once.

The CDK stack, the local platform and the tests all build their tables from these definitions, and
the Lambdas find each physical table name in the environment variable named by ``env_var``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

AttributeType = Literal["S", "N"]


@dataclass(frozen=True)
class KeyAttribute:
    name: str
    type: AttributeType = "S"


@dataclass(frozen=True)
class IndexDefinition:
    name: str
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None = None


@dataclass(frozen=True)
class TableDefinition:
    logical_id: str
    """CamelCase id, used for the CDK construct id."""
    default_name: str
    """Physical name used by the local platform and tests (CDK lets CloudFormation name tables)."""
    env_var: str
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None = None
    indexes: tuple[IndexDefinition, ...] = field(default_factory=tuple)
    ttl_attribute: str | None = None
    holds_business_data: bool = True
    """Business data is retained on stack deletion and protected from deletion."""
    stream: bool = False
    """Whether the table has a DynamoDB stream (NEW_IMAGE): the free event feed for high-rate data."""

    def key_attributes(self) -> list[KeyAttribute]:
        attributes: dict[str, KeyAttribute] = {}
        for key in (self.partition_key, self.sort_key):
            if key is not None:
                attributes[key.name] = key
        for index in self.indexes:
            for key in (index.partition_key, index.sort_key):
                if key is not None:
                    attributes[key.name] = key
        return list(attributes.values())


STATIONS = TableDefinition(
    logical_id="StationsTable",
    default_name="csms-stations",
    env_var="STATIONS_TABLE",
    partition_key=KeyAttribute("stationId"),
    indexes=(IndexDefinition("byTenant", KeyAttribute("tenantId"), KeyAttribute("stationId")),),
)

SESSIONS = TableDefinition(
    logical_id="SessionsTable",
    default_name="csms-sessions",
    env_var="SESSIONS_TABLE",
    partition_key=KeyAttribute("sessionId"),
    indexes=(
        IndexDefinition("byTenantStart", KeyAttribute("tenantId"), KeyAttribute("startedAt")),
        IndexDefinition("byStationStart", KeyAttribute("stationId"), KeyAttribute("startedAt")),
        # A driver's history: the sessions of one of the tenant's ID tokens, newest first.
        IndexDefinition("byTokenStart", KeyAttribute("tenantToken"), KeyAttribute("startedAt")),
        # Sparse: these keys are set only while a session is active, so each query reads just the
        # active sessions (one item for an EVSE), never a station's history.
        IndexDefinition("byActiveStation", KeyAttribute("activeStation"), KeyAttribute("evseId", "N")),
        IndexDefinition("byActiveToken", KeyAttribute("activeToken")),
        IndexDefinition("byActiveSite", KeyAttribute("activeSite")),
    ),
)

METER_VALUES = TableDefinition(
    logical_id="MeterValuesTable",
    default_name="csms-meter-values",
    env_var="METER_VALUES_TABLE",
    partition_key=KeyAttribute("sessionId"),
    sort_key=KeyAttribute("sampleKey"),
    stream=True,
)

ID_TOKENS = TableDefinition(
    logical_id="IdTokensTable",
    default_name="csms-id-tokens",
    env_var="ID_TOKENS_TABLE",
    partition_key=KeyAttribute("tenantId"),
    sort_key=KeyAttribute("idTokenKey"),
)

SITES = TableDefinition(
    logical_id="SitesTable",
    default_name="csms-sites",
    env_var="SITES_TABLE",
    partition_key=KeyAttribute("tenantId"),
    sort_key=KeyAttribute("siteId"),
)

COMMANDS = TableDefinition(
    logical_id="CommandsTable",
    default_name="csms-commands",
    env_var="COMMANDS_TABLE",
    partition_key=KeyAttribute("commandId"),
    indexes=(
        IndexDefinition("byStation", KeyAttribute("stationId"), KeyAttribute("createdAt")),
        # Sparse: only pending commands carry pendingShard, so the timeout sweep reads just those.
        IndexDefinition("byPendingTimeout", KeyAttribute("pendingShard"), KeyAttribute("timeoutAt")),
    ),
    ttl_attribute="expiresAt",
)

STATION_MESSAGES = TableDefinition(
    logical_id="StationMessagesTable",
    default_name="csms-station-messages",
    env_var="STATION_MESSAGES_TABLE",
    # <stationId>:<registrationId>: a station id registered again never sees its predecessor's messages.
    partition_key=KeyAttribute("stationKey"),
    sort_key=KeyAttribute("messageKey"),
    ttl_attribute="expiresAt",
)

STATION_DATA = TableDefinition(
    logical_id="StationDataTable",
    default_name="csms-station-data",
    env_var="STATION_DATA_TABLE",
    # <stationId>:<registrationId>, one item per thing a station holds: each device-model variable (a full
    # 2.0.1 inventory is thousands, never one 400 KB item), report progress, local-list entries and
    # state, installed charging profiles, and the station's outbound lane (one call in flight).
    partition_key=KeyAttribute("stationKey"),
    sort_key=KeyAttribute("itemKey"),
)

RESERVATIONS = TableDefinition(
    logical_id="ReservationsTable",
    default_name="csms-reservations",
    env_var="RESERVATIONS_TABLE",
    partition_key=KeyAttribute("stationKey"),
    sort_key=KeyAttribute("reservationId", "N"),
    indexes=(IndexDefinition("byTenant", KeyAttribute("tenantId"), KeyAttribute("createdAt")),),
    ttl_attribute="expiresTtl",
)

IDEMPOTENCY = TableDefinition(
    logical_id="IdempotencyTable",
    default_name="csms-idempotency",
    env_var="IDEMPOTENCY_TABLE",
    partition_key=KeyAttribute("id"),
    ttl_attribute="expiration",
    holds_business_data=False,
)

FIRMWARE = TableDefinition(
    logical_id="FirmwareTable",
    default_name="csms-firmware",
    env_var="FIRMWARE_TABLE",
    partition_key=KeyAttribute("tenantId"),
    sort_key=KeyAttribute("firmwareId"),
)
"""The firmware catalogue: one item per registered version (its image lives in the firmware bucket)."""

FIRMWARE_CAMPAIGNS = TableDefinition(
    logical_id="FirmwareCampaignsTable",
    default_name="csms-firmware-campaigns",
    env_var="FIRMWARE_CAMPAIGNS_TABLE",
    # campaign#<id> holds the campaign (sk "campaign") and one item per target station (sk
    # station#<stationId>); station#<id> / "update" is the station's update in progress (the task token
    # its FirmwareStatusNotification or BootNotification completes).
    partition_key=KeyAttribute("pk"),
    sort_key=KeyAttribute("sk"),
    # Sparse: only campaign items carry campaignTenant, so a tenant's list reads campaigns only.
    indexes=(IndexDefinition("byTenant", KeyAttribute("campaignTenant"), KeyAttribute("createdAt")),),
)

DIAGNOSTICS = TableDefinition(
    logical_id="DiagnosticsTable",
    default_name="csms-diagnostics",
    env_var="DIAGNOSTICS_TABLE",
    # <stationId>:<registrationId>; sk request#<requestedAt>#<requestId>, and "active" for the request
    # whose upload the station's status notifications report (1.6 names no request in them).
    partition_key=KeyAttribute("stationKey"),
    sort_key=KeyAttribute("sk"),
    ttl_attribute="expiresAt",
)

ALERTS = TableDefinition(
    logical_id="AlertsTable",
    default_name="csms-alerts",
    env_var="ALERTS_TABLE",
    # sk alert#<alertId>; open#<kind>#<station>#<subject> guards one open alert per subject;
    # watch#offline#<station> waits for a disconnected station's grace to pass; boots#<station> counts boots.
    partition_key=KeyAttribute("tenantId"),
    sort_key=KeyAttribute("sk"),
    indexes=(
        IndexDefinition("byStatus", KeyAttribute("tenantStatus"), KeyAttribute("raisedAt")),
        # Sparse: only offline watches carry dueShard, so the minute sweep reads just those that are due.
        IndexDefinition("byDue", KeyAttribute("dueShard"), KeyAttribute("dueAt")),
    ),
    ttl_attribute="expiresAt",
)

ENERGY = TableDefinition(
    logical_id="EnergyTable",
    default_name="csms-energy",
    env_var="ENERGY_TABLE",
    # <tenantId>:<siteId>: one query reads everything a run of the site's allocator needs (its model,
    # placements, EVSE states, commands in flight, demands, signals, measurements). A command's answer
    # finds its record by the station's site and the command id (strongly consistent, no index).
    partition_key=KeyAttribute("siteKey"),
    sort_key=KeyAttribute("recordKey"),
    indexes=(
        # Sparse: only a managed site's configuration carries managedShard, so the scheduled run lists
        # the managed sites of every tenant with one query.
        IndexDefinition("byManagedSite", KeyAttribute("managedShard"), KeyAttribute("siteKey")),
    ),
    ttl_attribute="expiresAt",
)

# --- Billing (shared/storage/billing.py; what each item is: shared/billing/README.md) -------------

BILLING_SETTINGS = TableDefinition(
    logical_id="BillingSettingsTable",
    default_name="csms-billing-settings",
    env_var="BILLING_SETTINGS_TABLE",
    # tariff#<id>, assignment#<SCOPE>#<target>, split#<siteId>, plan#<id>: small, per tenant, rarely written.
    partition_key=KeyAttribute("tenantId"),
    sort_key=KeyAttribute("recordKey"),
)

BILLING_ACCOUNTS = TableDefinition(
    logical_id="BillingAccountsTable",
    default_name="csms-billing-accounts",
    env_var="BILLING_ACCOUNTS_TABLE",
    # account#<id>, token#<ID TOKEN> (→ account), wallet#<id> (versioned), subscription#<id>.
    partition_key=KeyAttribute("tenantId"),
    sort_key=KeyAttribute("recordKey"),
    indexes=(
        # Sparse: only subscriptions carry billingShard, so the monthly run reads just them, every tenant.
        IndexDefinition("bySubscriptionShard", KeyAttribute("billingShard"), KeyAttribute("subscriptionKey")),
    ),
)

CDRS = TableDefinition(
    logical_id="CdrsTable",
    default_name="csms-cdrs",
    env_var="CDRS_TABLE",
    partition_key=KeyAttribute("tenantId"),
    sort_key=KeyAttribute("sessionId"),  # one CDR per session: a conditional put
    indexes=(
        IndexDefinition("byTenantStart", KeyAttribute("tenantId"), KeyAttribute("startDateTime")),
        # Sparse: only CDRs put on a postpaid account, for its monthly invoice.
        IndexDefinition("byAccountStart", KeyAttribute("onAccount"), KeyAttribute("startDateTime")),
    ),
)

INVOICES = TableDefinition(
    logical_id="InvoicesTable",
    default_name="csms-invoices",
    env_var="INVOICES_TABLE",
    # Invoices and credit notes by id, and the gapless number counters (counter#<series>#<year>).
    partition_key=KeyAttribute("tenantId"),
    sort_key=KeyAttribute("invoiceId"),
    indexes=(
        IndexDefinition("bySession", KeyAttribute("sessionKey"), KeyAttribute("invoiceId")),
        IndexDefinition("byTenantIssued", KeyAttribute("issuedTenant"), KeyAttribute("issuedAt")),
    ),
)

LEDGER = TableDefinition(
    logical_id="LedgerTable",
    default_name="csms-ledger",
    env_var="LEDGER_TABLE",
    partition_key=KeyAttribute("tenantId"),
    sort_key=KeyAttribute("transactionId"),  # the idempotency key: a conditional put
    indexes=(
        # Sparse: revenue splits and their reversals (revenue reports), wallet movements (history).
        IndexDefinition("byRevenue", KeyAttribute("revenueTenant"), KeyAttribute("bookedAt")),
        IndexDefinition("byWallet", KeyAttribute("walletKey"), KeyAttribute("bookedAt")),
    ),
)

BILLING_ALERTS = TableDefinition(
    logical_id="BillingAlertsTable",
    default_name="csms-billing-alerts",
    env_var="BILLING_ALERTS_TABLE",
    # What billing parked for an operator: session#<id>, invoice#<id>, split#<id>, subscription#<id>#<period>.
    partition_key=KeyAttribute("tenantId"),
    sort_key=KeyAttribute("alertKey"),
)

BILLING_TABLES: tuple[TableDefinition, ...] = (
    BILLING_SETTINGS,
    BILLING_ACCOUNTS,
    CDRS,
    INVOICES,
    LEDGER,
    BILLING_ALERTS,
)

ALLOCATION_RUNS = TableDefinition(
    logical_id="AllocationRunsTable",
    default_name="csms-allocation-runs",
    env_var="ALLOCATION_RUNS_TABLE",
    # run#<at>#<runId> (what a run saw, decided, sent and was answered) and load#<at> (the site's load).
    partition_key=KeyAttribute("siteKey"),
    sort_key=KeyAttribute("recordKey"),
    ttl_attribute="expiresAt",
)

ONBOARDING = TableDefinition(
    logical_id="OnboardingTable",
    default_name="csms-onboarding",
    env_var="ONBOARDING_TABLE",
    # tenant#<tenantId>: policy (its enrollment secret's digest), pending#<stationId> (a station waiting
    # for approval), rejected#<stationId> (refused for a while); secret#<digest>: the secret's tenant.
    partition_key=KeyAttribute("pk"),
    sort_key=KeyAttribute("sk"),
    ttl_attribute="expiresAt",
)

ALL_TABLES: tuple[TableDefinition, ...] = (
    STATIONS,
    SESSIONS,
    METER_VALUES,
    ID_TOKENS,
    SITES,
    COMMANDS,
    STATION_MESSAGES,
    STATION_DATA,
    RESERVATIONS,
    IDEMPOTENCY,
    FIRMWARE,
    FIRMWARE_CAMPAIGNS,
    DIAGNOSTICS,
    ALERTS,
    *BILLING_TABLES,
    ENERGY,
    ALLOCATION_RUNS,
    ONBOARDING,
)


def create_table_request(table: TableDefinition, table_name: str | None = None) -> dict[str, Any]:
    """The boto3 ``create_table`` arguments for a table (on-demand, as in the cloud)."""

    def key_schema(partition: KeyAttribute, sort: KeyAttribute | None) -> list[dict[str, str]]:
        schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
        if sort is not None:
            schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
        return schema

    request: dict[str, Any] = {
        "TableName": table_name or table.default_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": attribute.name, "AttributeType": attribute.type}
            for attribute in table.key_attributes()
        ],
        "KeySchema": key_schema(table.partition_key, table.sort_key),
    }
    if table.stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    if table.indexes:
        request["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": key_schema(index.partition_key, index.sort_key),
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in table.indexes
        ]
    return request
