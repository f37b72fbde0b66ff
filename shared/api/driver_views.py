"""Driver-app domain objects (shared/management/driver.py) to response bodies."""

from __future__ import annotations

from datetime import datetime

from shared.api import billing_views
from shared.api import driver_schemas as schemas
from shared.billing.directory import AccountProfile
from shared.domain.commands import Command
from shared.domain.sessions import Session, SessionStatus
from shared.management.driver import LiveSession, Receipt, StartProgress, StationForDriver, TopUp, start_token


def account_view(account: AccountProfile) -> schemas.DriverAccountView:
    return schemas.DriverAccountView(
        billing_account_id=account.billing_account_id,
        type=account.type,
        currency=account.currency,
        wallet_id=account.wallet_id,
        id_tokens=account.id_tokens,
        has_saved_card=bool(account.provider and account.provider_payment_method_id),
    )


def station_view(found: StationForDriver) -> schemas.DriverStationView:
    site, availability = found.site, found.availability
    return schemas.DriverStationView(
        station_id=found.station.station_id,
        site_id=found.station.site_id,
        site_name=site.name if site else None,
        address=site.address if site else None,
        latitude=site.latitude if site else None,
        longitude=site.longitude if site else None,
        distance_km=round(found.distance_km, 3) if found.distance_km is not None else None,
        state=availability.state,
        available_connectors=availability.available_connectors,
        connectors=[
            schemas.ConnectorAvailabilityView(
                connector_id=connector.connector_id, status=connector.status, available=connector.available
            )
            for connector in availability.connectors
        ],
        price=billing_views.tariff_view(found.tariff) if found.tariff else None,
    )


def start_view(command: Command, now: datetime, session: Session | None = None) -> schemas.StartView:
    payload = command.payload
    token = start_token(command)
    connector = payload.get("connectorId", payload.get("evseId"))
    return schemas.StartView(
        command_id=command.command_id,
        station_id=command.station_id,
        connector_id=connector if isinstance(connector, int) else None,
        id_token=token,
        status=command.effective_status(now),
        session_id=session.session_id if session else None,
        created_at=command.created_at,
    )


def progress_view(progress: StartProgress, now: datetime) -> schemas.StartView:
    return start_view(progress.command, now, progress.session)


def stop_view(command: Command, session_id: str, now: datetime) -> schemas.StopView:
    return schemas.StopView(
        command_id=command.command_id, session_id=session_id, status=command.effective_status(now)
    )


def live_view(live: LiveSession) -> schemas.DriverSessionView:
    session = live.session
    return schemas.DriverSessionView(
        session_id=session.session_id,
        station_id=session.station_id,
        site_id=session.site_id,
        connector_id=session.evse_id,
        id_token=session.id_token,
        status=session.status,
        started_at=session.started_at,
        stopped_at=session.stopped_at,
        stop_reason=session.stop_reason,
        energy_wh=live.energy_wh,
        power_w=live.power_w,
        reading_at=live.reading_at,
        cost=schemas.CostSoFarView(
            amount=str(live.cost.amount), currency=live.cost.currency, final=live.cost.final
        )
        if live.cost
        else None,
    )


def summary_view(session: Session) -> schemas.DriverSessionSummary:
    return schemas.DriverSessionSummary(
        session_id=session.session_id,
        station_id=session.station_id,
        site_id=session.site_id,
        connector_id=session.evse_id,
        status=session.status,
        started_at=session.started_at,
        stopped_at=session.stopped_at,
        energy_wh=session.energy_wh if session.status is SessionStatus.COMPLETED else None,
    )


def receipt_view(receipt: Receipt) -> schemas.ReceiptView:
    return schemas.ReceiptView(
        session_id=receipt.session.session_id,
        station_id=receipt.session.station_id,
        started_at=receipt.session.started_at,
        stopped_at=receipt.session.stopped_at,
        cdr=billing_views.cdr_view(receipt.cdr),
        invoices=[billing_views.invoice_view(invoice) for invoice in receipt.invoices],
    )


def top_up_view(top_up: TopUp) -> schemas.TopUpView:
    return schemas.TopUpView(
        top_up_id=top_up.top_up_id,
        amount=str(top_up.amount),
        status=top_up.status.value,
        payment_reference=top_up.payment_reference,
        wallet=billing_views.wallet_view(top_up.wallet),
    )
