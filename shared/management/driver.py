"""What a driver does on its own billing account (``Principal.account_id``): find stations near a point
with their availability and price, start a session by QR code (station + connector) or with a token,
follow it (energy, power, cost so far), stop it, read its history and receipts, and top up its wallet.

A driver sees its account's tokens, the sessions of those tokens, its wallet and its receipts, and the
tenant's stations; anything else is a 404. Starts and stops go through the operator's remote-start and
remote-stop logic (``shared.management.commands``), payments through the payment-provider port.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from shared.billing.cdrs import Cdr
from shared.billing.directory import AccountProfile
from shared.billing.invoices import Invoice
from shared.billing.money import minor_units, quantum
from shared.billing.payments.port import PaymentRequest, PaymentStatus
from shared.billing.quotes import BillingCostQuotes, tariff_for
from shared.billing.resolver import NoTariffError, TariffContext
from shared.billing.tariffs import Tariff
from shared.billing.wallets import Wallet
from shared.domain.commands import Command
from shared.domain.errors import (
    ConflictError,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
    PaymentFailedError,
)
from shared.domain.id_tokens import IdTokenStatus
from shared.domain.sessions import (
    ACTIVE_POWER,
    ENERGY_REGISTER,
    Session,
    SessionStatus,
    energy_between,
    latest_reading,
    readings_owned_by,
)
from shared.domain.sites import Site
from shared.domain.stations import OperationalStatus, Station
from shared.domain.tenancy import Principal
from shared.management import billing, commands, station_control

if TYPE_CHECKING:
    from shared.wiring import Platform

EARTH_RADIUS_KM = 6371.0088
"""The mean Earth radius (IUGG): haversine distances are within 0.5 % of the ellipsoid's."""
_SITE_PAGE = 100
_UNUSABLE = frozenset({"Faulted", "Unavailable"})
"""Connector statuses (1.6 and 2.0.1) in which a start cannot work."""


# ---- who the driver is ------------------------------------------------------------------------


def driver_account(platform: Platform, principal: Principal) -> AccountProfile:
    """The billing account the token acts for; a token naming none is refused, one naming an account
    the tenant does not have is a 404."""
    if not principal.account_id:
        raise ForbiddenError("the token names no billing account (claim account_id)")
    profile = platform.billing.accounts.profile(principal.tenant_id, principal.account_id)
    if profile is None:
        raise NotFoundError(f"billing account {principal.account_id} not found")
    return profile


def owns_token(account: AccountProfile, id_token: str | None) -> bool:
    return id_token is not None and id_token.upper() in account.id_tokens


# ---- stations near a point ------------------------------------------------------------------


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two WGS 84 points, in km."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def sites_within(
    sites: Iterable[Site], latitude: float, longitude: float, radius_km: float
) -> list[tuple[Site, float]]:
    """The sites on the map within ``radius_km`` of the point, nearest first (pure)."""
    found = [
        (site, haversine_km(latitude, longitude, site.latitude, site.longitude))
        for site in sites
        if site.latitude is not None and site.longitude is not None
    ]
    return sorted(
        ((site, distance) for site, distance in found if distance <= radius_km),
        key=lambda pair: (pair[1], pair[0].site_id),
    )


@dataclass(frozen=True)
class ConnectorAvailability:
    connector_id: int
    """What the QR label names: the OCPP 1.6 connectorId, the 2.0.1 evseId."""
    status: str
    available: bool


StationState = Literal["online", "faulted", "reconnecting", "offline"]


@dataclass(frozen=True)
class StationAvailability:
    state: StationState
    """As the operator's overview counts it: offline, reconnecting, faulted or online."""
    connectors: list[ConnectorAvailability]

    @property
    def available_connectors(self) -> int:
        return sum(1 for connector in self.connectors if connector.available)


def station_availability(station: Station, now: datetime, reconnect_grace: timedelta) -> StationAvailability:
    """Per EVSE, the best status any of its connectors reports (an EVSE set inoperative reads
    Unavailable); available means the station is online and the EVSE reports Available (pure)."""
    connectivity = station.connectivity(now, reconnect_grace)
    statuses = [station.station_status.status] if station.station_status else []
    statuses += [state.status for state in station.connectors.values()]
    state: StationState = connectivity
    if connectivity == "online" and "Faulted" in statuses:
        state = "faulted"
    whole = station.availability.get("0")
    station_inoperative = whole is not None and whole.operational_status is OperationalStatus.INOPERATIVE
    connectors: list[ConnectorAvailability] = []
    for evse_id in station.evse_ids():
        reported = [s.status for s in station.connectors.values() if s.evse_id == evse_id]
        set_by_operator = station.availability.get(str(evse_id))
        inoperative = station_inoperative or (
            set_by_operator is not None
            and set_by_operator.operational_status is OperationalStatus.INOPERATIVE
        )
        status = "Unavailable" if inoperative else ("Available" if "Available" in reported else reported[0])
        connectors.append(
            ConnectorAvailability(evse_id, status, connectivity == "online" and status == "Available")
        )
    return StationAvailability(state=state, connectors=connectors)


@dataclass(frozen=True)
class StationForDriver:
    station: Station
    site: Site | None
    distance_km: float | None
    availability: StationAvailability
    tariff: Tariff | None


def _grace(platform: Platform) -> timedelta:
    return timedelta(seconds=platform.settings.reconnect_grace_seconds)


def _tariff(platform: Platform, account: AccountProfile, station: Station) -> Tariff | None:
    """What a session started now would be priced at, for this driver's groups."""
    context = TariffContext(
        tenant_id=station.tenant_id,
        station_id=station.station_id,
        site_id=station.site_id,
        driver_groups=account.driver_groups,
        started_at=platform.clock(),
    )
    try:
        return tariff_for(platform.billing.settings_store, context)
    except NoTariffError:
        return None


def _all_sites(platform: Platform, tenant_id: str) -> list[Site]:
    sites: list[Site] = []
    cursor: str | None = None
    while True:
        page, cursor = platform.sites.list(tenant_id, _SITE_PAGE, cursor)
        sites += page
        if cursor is None:
            return sites


def _stations_by_site(platform: Platform, tenant_id: str, site_ids: set[str]) -> dict[str, list[Station]]:
    """One pass over the tenant's stations (the table has no site index; a filtered query per site
    would read them all once per site)."""
    found: dict[str, list[Station]] = {}
    cursor: str | None = None
    while True:
        page, cursor = platform.stations.list_for_tenant(tenant_id, _SITE_PAGE, cursor)
        for station in page:
            if station.site_id in site_ids:
                found.setdefault(station.site_id, []).append(station)
        if cursor is None:
            return {site_id: sorted(items, key=lambda s: s.station_id) for site_id, items in found.items()}


def stations_near(
    platform: Platform,
    principal: Principal,
    *,
    latitude: float,
    longitude: float,
    radius_km: float,
    limit: int,
) -> list[StationForDriver]:
    """The tenant's stations on sites within ``radius_km``, nearest site first, at most ``limit``.

    Reads every site of the tenant (pages of 100) and computes each distance, then, when any site is
    near, the tenant's stations once: fine for hundreds of sites. Beyond that, a geohash-prefix index
    on the sites table and a site index on the stations table would read only what is near."""
    account = driver_account(platform, principal)
    now, grace = platform.clock(), _grace(platform)
    near = sites_within(_all_sites(platform, principal.tenant_id), latitude, longitude, radius_km)
    if not near:
        return []
    by_site = _stations_by_site(platform, principal.tenant_id, {site.site_id for site, _ in near})
    found: list[StationForDriver] = []
    for site, distance in near:
        for station in by_site.get(site.site_id, []):
            found.append(
                StationForDriver(
                    station,
                    site,
                    distance,
                    station_availability(station, now, grace),
                    _tariff(platform, account, station),
                )
            )
            if len(found) == limit:
                return found
    return found


def station_for_driver(platform: Platform, principal: Principal, station_id: str) -> StationForDriver:
    """One station (what a QR code names), another tenant's is a 404."""
    account = driver_account(platform, principal)
    station = platform.stations.get_for_tenant(principal.tenant_id, station_id)
    site = platform.sites.find(principal.tenant_id, station.site_id) if station.site_id else None
    availability = station_availability(station, platform.clock(), _grace(platform))
    return StationForDriver(station, site, None, availability, _tariff(platform, account, station))


# ---- start and stop ---------------------------------------------------------------------------


def starting_token(
    platform: Platform, principal: Principal, account: AccountProfile, named: str | None
) -> str:
    """The token a start uses: the one the driver names (it must be its account's), else the account's
    first token that is Accepted and not expired."""
    now = platform.clock()

    def usable(token: str) -> bool:
        record = platform.id_tokens.find(principal.tenant_id, token)
        return (
            record is not None
            and record.status is IdTokenStatus.ACCEPTED
            and (record.expires_at is None or record.expires_at > now)
        )

    if named is not None:
        if not owns_token(account, named):
            raise InvalidRequestError(f"idToken: {named} is not a token of your account")
        if not usable(named.upper()):
            raise ConflictError(f"ID token {named} is blocked, expired or not registered")
        return named
    for token in account.id_tokens:
        if usable(token):
            return token
    raise ConflictError("your account has no active ID token to start with")


def start_session(
    platform: Platform, principal: Principal, *, station_id: str, connector_id: int, id_token: str | None
) -> Command:
    """A remote start on the connector a QR code names, with the driver's token; refused up front when
    the station is offline, the connector unknown, out of order or already charging."""
    account = driver_account(platform, principal)
    station = platform.stations.get_for_tenant(principal.tenant_id, station_id)
    token = starting_token(platform, principal, account, id_token)
    availability = station_availability(station, platform.clock(), _grace(platform))
    if availability.state in ("offline", "reconnecting"):
        raise ConflictError(f"station {station_id} is {availability.state}")
    connector = next((c for c in availability.connectors if c.connector_id == connector_id), None)
    if connector is None:
        raise NotFoundError(f"station {station_id} has no connector {connector_id}")
    if connector.status in _UNUSABLE:
        raise ConflictError(f"connector {connector_id} of station {station_id} is {connector.status}")
    if platform.sessions.find_active(station_id, station.registration_id, connector_id) is not None:
        raise ConflictError(f"connector {connector_id} of station {station_id} is already charging")
    return commands.remote_start(platform, principal, station_id, token, connector_id)


@dataclass(frozen=True)
class StartProgress:
    command: Command
    session: Session | None


START_ACTIONS = ("RemoteStartTransaction", "RequestStartTransaction")


def start_token(command: Command) -> str | None:
    """The ID token a remote start was sent with (1.6 ``idTag``, 2.0.1 ``idToken.idToken``); None for a
    command that is no protocol's remote start (an operator's start stored unsent keeps its own shape)."""
    if command.action not in START_ACTIONS:
        return None
    payload = command.payload
    token = payload.get("idTag")
    if token is None and isinstance(payload.get("idToken"), dict):
        token = payload["idToken"].get("idToken")
    return str(token) if isinstance(token, str) and token else None


def start_progress(platform: Platform, principal: Principal, command_id: str) -> StartProgress:
    """A start the driver asked for: the command's outcome and, once the station began it, the session."""
    account = driver_account(platform, principal)
    command = platform.commands.get_for_tenant(principal.tenant_id, command_id)
    token = start_token(command)
    if token is None or not owns_token(account, token):
        raise NotFoundError(f"start {command_id} not found")
    try:
        session = station_control.session_started_by(platform, principal, command_id)
    except NotFoundError:
        session = None
    return StartProgress(command, session)


def stop_session(platform: Platform, principal: Principal, session_id: str) -> Command:
    session = driver_session(platform, principal, session_id)
    if session.status is not SessionStatus.ACTIVE:
        raise ConflictError(f"session {session_id} has already ended")
    return commands.remote_stop(platform, principal, session.station_id, session_id=session_id, evse_id=None)


# ---- following a session, history, receipts --------------------------------------------------


def driver_session(platform: Platform, principal: Principal, session_id: str) -> Session:
    account = driver_account(platform, principal)
    session = platform.sessions.get_for_tenant(principal.tenant_id, session_id)
    if not owns_token(account, session.id_token):
        raise NotFoundError(f"session {session_id} not found")
    return session


@dataclass(frozen=True)
class CostSoFar:
    amount: Decimal
    currency: str
    final: bool
    """True once billing priced the session (its CDR); before that a quote by the same tariff."""


@dataclass(frozen=True)
class LiveSession:
    session: Session
    energy_wh: float | None
    power_w: float | None
    """The newest power reading while active; None once it has ended or without one."""
    reading_at: datetime | None
    cost: CostSoFar | None


def follow_session(platform: Platform, principal: Principal, session_id: str) -> LiveSession:
    """Energy, power and cost so far. An active session is quoted as if it ended now, with the tariff
    and meter values billing will price it with (``BillingCostQuotes``); an ended one shows its CDR's
    total once priced, the quote until then."""
    session = driver_session(platform, principal, session_id)
    records = platform.meter_values.for_session(session_id)
    owned = readings_owned_by(session, records)
    active = session.status is SessionStatus.ACTIVE
    register = latest_reading(owned, ENERGY_REGISTER)
    energy = energy_between(session.meter_start_wh, register) if active else session.energy_wh
    power = latest_reading(owned, ACTIVE_POWER) if active else None
    reading_at = max((value.timestamp for value in owned), default=None)
    cdr = platform.billing.cdrs.cdr_for_session(principal.tenant_id, session_id)
    cost: CostSoFar | None
    if cdr is not None:
        cost = CostSoFar(cdr.total_cost.incl_vat, cdr.currency, final=True)
    else:
        priced = session
        if active:
            # As if it ended now, or at its newest reading if the station's clock runs ahead of ours.
            end = max(platform.clock(), reading_at or session.started_at)
            priced = session.model_copy(update={"stopped_at": end, "meter_stop_wh": register})
        quotes = BillingCostQuotes(
            platform.sites, platform.billing.settings_store, platform.billing.accounts, platform.clock
        )
        quote = quotes.final_cost(priced, lambda: records)
        cost = CostSoFar(quote.total_incl_vat, quote.currency, final=False) if quote else None
    return LiveSession(session, energy, power, reading_at, cost)


@dataclass(frozen=True)
class HistoryPage:
    sessions: list[Session]
    next_cursor: str | None


def _cursor(session: Session) -> str:
    return f"{session.started_at.isoformat()}|{session.session_id}"


def _parse_cursor(cursor: str) -> tuple[datetime, str]:
    started, _, session_id = cursor.partition("|")
    try:
        moment = datetime.fromisoformat(started)
    except ValueError:
        raise InvalidRequestError("query field 'cursor': not a cursor this list returned") from None
    if not session_id or moment.tzinfo is None:
        raise InvalidRequestError("query field 'cursor': not a cursor this list returned")
    return moment, session_id


def session_history(
    platform: Platform,
    principal: Principal,
    *,
    status: SessionStatus | None,
    limit: int,
    cursor: str | None,
) -> HistoryPage:
    """The sessions of the account's tokens, newest first: one index query per token (``byTokenStart``),
    merged. A page covers the ``limit`` newest sessions after the cursor (the last one it covered) and
    shows those with ``status``, so a filtered page may hold fewer, as a DynamoDB filter would."""
    account = driver_account(platform, principal)
    after = _parse_cursor(cursor) if cursor else None
    merged: dict[str, Session] = {}
    for token in account.id_tokens:
        # A few more than a page: the previous page's last sessions (same start) are read again.
        for session in platform.sessions.for_token(
            principal.tenant_id, token, started_before=after[0] if after else None, limit=limit + 10
        ):
            if after is None or (session.started_at, session.session_id) < after:
                merged[session.session_id] = session
    ordered = sorted(merged.values(), key=lambda s: (s.started_at, s.session_id), reverse=True)
    covered = ordered[:limit]
    shown = [session for session in covered if status is None or session.status is status]
    return HistoryPage(shown, _cursor(covered[-1]) if len(ordered) > limit else None)


@dataclass(frozen=True)
class Receipt:
    session: Session
    cdr: Cdr
    invoices: list[Invoice]


def receipt(platform: Platform, principal: Principal, session_id: str) -> Receipt:
    """The priced session (its CDR) and the account's invoices for it; 404 until billing priced it."""
    session = driver_session(platform, principal, session_id)
    cdr = platform.billing.cdrs.cdr_for_session(principal.tenant_id, session_id)
    if cdr is None:
        raise NotFoundError(f"no receipt for session {session_id} yet: it is not priced")
    invoices = [
        invoice
        for invoice in platform.billing.invoices.invoices_for_session(principal.tenant_id, session_id)
        if invoice.billing_account_id == principal.account_id
    ]
    return Receipt(session, cdr, invoices)


# ---- wallet -----------------------------------------------------------------------------------


def driver_wallet(platform: Platform, principal: Principal) -> Wallet:
    account = driver_account(platform, principal)
    if account.wallet_id is None:
        raise NotFoundError(f"billing account {account.billing_account_id} has no wallet (it is not prepaid)")
    return billing.get_wallet(platform, principal, account.wallet_id)


@dataclass(frozen=True)
class TopUp:
    top_up_id: str
    amount: Decimal
    status: PaymentStatus
    """succeeded: the wallet is credited; processing: the provider settles later (not credited yet)."""
    payment_reference: str | None
    wallet: Wallet


def top_up_wallet(
    platform: Platform, principal: Principal, *, amount: Decimal, top_up_id: str | None
) -> TopUp:
    """Charges the account's saved card through the payment-provider port, then credits the wallet with
    what the provider collected. Idempotent on ``topUpId``: the provider dedupes the charge on it, the
    wallet the credit. A decline is a 402 with the provider's reason."""
    account = driver_account(platform, principal)
    wallet = driver_wallet(platform, principal)
    if amount <= 0:
        raise InvalidRequestError("amount: must be more than 0")
    if amount != amount.quantize(quantum(wallet.currency)):
        raise InvalidRequestError(
            f"amount: {wallet.currency} has {minor_units(wallet.currency)} decimal places"
        )
    if account.provider != "stripe" or not account.provider_payment_method_id:
        raise ConflictError("your account has no saved card to top up with")
    provider = platform.billing.providers().get("stripe")
    if provider is None:
        raise ConflictError("card payments are not configured on this platform")
    top_up_id = top_up_id or uuid.uuid4().hex[:16]
    # The driver's id is its own: the provider's idempotency key and the ledger's transaction are the
    # account's (':' is in no identifier), so two drivers picking the same id never meet.
    booked_as = f"{account.billing_account_id}:{top_up_id}"
    outcome = provider.collect(
        PaymentRequest(
            tenant_id=principal.tenant_id,
            invoice_id=f"topup:{booked_as}",
            account=account.account(),
            amount=amount,
            currency=wallet.currency,
            description=f"Wallet top-up {top_up_id}",
        )
    )
    if outcome.status is PaymentStatus.FAILED:
        reason = outcome.failure.message if outcome.failure else "the payment failed"
        code = outcome.failure.code if outcome.failure else "failed"
        raise PaymentFailedError(f"payment: {reason} ({code})")
    if outcome.status is PaymentStatus.SUCCEEDED:
        wallet = billing.top_up_wallet(
            platform, principal, wallet.wallet_id, amount=amount, top_up_id=booked_as, provider=provider.name
        )
    return TopUp(top_up_id, amount, outcome.status, outcome.provider_reference, wallet)
