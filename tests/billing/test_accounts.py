"""Resolver, invoices, wallets, subscriptions, payment classification, usage mapping, money."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from shared.billing.invoices import (
    InvoiceKind,
    credit_note,
    format_invoice_number,
    invoice_from_cdr,
    invoice_id_for_period,
)
from shared.billing.ledger import RevenueSplit, balances
from shared.billing.money import MINOR_UNITS, minor_units, round_money
from shared.billing.payments.port import (
    FailureClass,
    PaymentFailure,
    backoff_seconds,
    classify_failure,
    should_park,
)
from shared.billing.pricing import price_session
from shared.billing.resolver import (
    AssignmentScope,
    NoTariffError,
    TariffAssignment,
    TariffContext,
    resolve_tariff,
)
from shared.billing.subscriptions import (
    Plan,
    SubscriberType,
    Subscription,
    SubscriptionTerm,
    cancel,
    change_plan,
    monthly_invoice,
)
from shared.billing.usage import usage_from_session
from shared.billing.wallets import InsufficientFundsError, Wallet, debit, top_up
from shared.domain.errors import InvalidRequestError
from shared.domain.sessions import MeterValue, SampledValue, Session
from tests.billing.builders import T0, a_tariff, a_usage, energy_tariff

D = Decimal


# ---- resolver --------------------------------------------------------------------------------


def _assign(scope: AssignmentScope, target: str, tariff: str) -> TariffAssignment:
    return TariffAssignment(tenant_id="demo", scope=scope, target_id=target, tariff_id=tariff)


TARIFFS = {
    "site": energy_tariff("0.30", tariffId="site"),
    "station": energy_tariff("0.35", tariffId="station"),
    "group": energy_tariff("0.20", tariffId="group"),
    "default": energy_tariff("0.40", tariffId="default"),
    "expired": energy_tariff("0.10", tariffId="expired", endDateTime="2026-01-01T00:00:00Z"),
}
ALL = [
    _assign(AssignmentScope.SITE, "SITE-1", "site"),
    _assign(AssignmentScope.STATION, "CP-1", "station"),
    _assign(AssignmentScope.DRIVER_GROUP, "fleet", "group"),
    _assign(AssignmentScope.TENANT, "demo", "default"),
]


@pytest.mark.parametrize(
    ("station", "site", "groups", "expected"),
    [
        ("CP-1", "SITE-1", ["fleet"], "group"),
        ("CP-1", "SITE-1", ["other"], "station"),
        ("CP-2", "SITE-1", [], "site"),
        ("CP-2", "SITE-2", [], "default"),
        ("CP-2", None, ["nobody", "fleet"], "group"),
    ],
)
def test_the_most_specific_assignment_wins(
    station: str, site: str | None, groups: list[str], expected: str
) -> None:
    context = TariffContext(
        tenant_id="demo", station_id=station, site_id=site, driver_groups=groups, started_at=T0
    )
    tariff, _ = resolve_tariff(context, ALL, TARIFFS)
    assert tariff.tariff_id == expected


def test_a_tariff_not_valid_at_the_start_falls_back_and_other_tenants_are_ignored() -> None:
    assignments = [
        _assign(AssignmentScope.STATION, "CP-1", "expired"),
        _assign(AssignmentScope.SITE, "SITE-1", "site"),
        TariffAssignment(
            tenant_id="other", scope=AssignmentScope.STATION, target_id="CP-1", tariff_id="group"
        ),
    ]
    context = TariffContext(tenant_id="demo", station_id="CP-1", site_id="SITE-1", started_at=T0)
    assert resolve_tariff(context, assignments, TARIFFS)[0].tariff_id == "site"
    with pytest.raises(NoTariffError):
        resolve_tariff(context.model_copy(update={"site_id": None}), assignments, TARIFFS)


# ---- invoices --------------------------------------------------------------------------------


def test_invoice_numbers_are_a_pure_function_of_series_year_and_counter() -> None:
    assert format_invoice_number("INV", 2026, 42) == "INV-2026-000042"
    assert format_invoice_number("CN", 2027, 1) == "CN-2027-000001"
    with pytest.raises(ValueError, match="starts at 1"):
        format_invoice_number("INV", 2026, 0)


def test_an_invoice_groups_cdr_lines_and_keeps_its_total_and_a_credit_note_negates_it() -> None:
    tariff = a_tariff(
        {
            "priceComponents": [
                {"type": "FLAT", "price": "1"},
                {"type": "ENERGY", "price": "0.30", "vat": "19"},
            ]
        },
        minPrice={"exclVat": "10.00", "inclVat": "11.90"},
    )
    cdr = price_session(a_usage(meter_stop="10000"), tariff, priced_at=T0)
    invoice = invoice_from_cdr(cdr, billing_account_id="ACC-1", issued_at=T0)
    assert [line.description for line in invoice.lines][-1].startswith("Tariff minimum")
    assert invoice.total_incl_vat == cdr.total_cost.incl_vat == D("11.90")
    note = credit_note(invoice, issued_at=T0, refund_id="R")
    assert note.kind is InvoiceKind.CREDIT_NOTE and note.credit_reference == invoice.invoice_id
    assert note.total_incl_vat == -invoice.total_incl_vat
    assert invoice_id_for_period("demo", "SUB-1", "2026-03") == invoice_id_for_period(
        "demo", "SUB-1", "2026-03"
    )
    assert invoice_id_for_period("demo", "SUB-1", "2026-03") != invoice_id_for_period(
        "demo", "SUB-1", "2026-04"
    )


# ---- wallets ---------------------------------------------------------------------------------


def _wallet(balance: str = "10.00", overdraft: str = "0") -> Wallet:
    return Wallet(
        tenant_id="demo",
        wallet_id="W",
        billing_account_id="A",
        currency="EUR",
        balance=D(balance),
        overdraft_limit=D(overdraft),
    )


def test_top_up_and_debit_move_the_balance_with_one_balanced_transaction_each() -> None:
    topped = top_up(_wallet(), amount=D("20.00"), top_up_id="TU1", provider="stripe", at=T0)
    spent = debit(topped.wallet, amount=D("3.70"), invoice_id="INV-1", at=T0)
    assert (topped.wallet.balance, spent.wallet.balance) == (D("30.00"), D("26.30"))
    assert spent.wallet.version == 2
    book = balances([topped.transaction, spent.transaction])
    assert book == {"clearing:stripe": D("20.00"), "wallet:W": D("-16.30"), "receivable:A": D("-3.70")}


def test_a_debit_beyond_balance_and_overdraft_is_refused_whole() -> None:
    with pytest.raises(InsufficientFundsError):
        debit(_wallet("3.00"), amount=D("3.70"), invoice_id="I", at=T0)
    assert debit(
        _wallet("3.00", overdraft="1.00"), amount=D("3.70"), invoice_id="I", at=T0
    ).wallet.balance == D("-0.70")


@pytest.mark.parametrize("amount", ["0", "-1", "1.001"])
def test_bad_wallet_amounts_name_the_field(amount: str) -> None:
    with pytest.raises(InvalidRequestError, match="amount"):
        top_up(_wallet(), amount=D(amount), top_up_id="T", provider="stripe", at=T0)


def test_revenue_split_rules_are_validated() -> None:
    with pytest.raises(ValueError, match="hostSharePercent"):
        RevenueSplit(site_id="S", host_id="H", host_share_percent=D(80), platform_fee_percent=D(30))
    with pytest.raises(ValueError, match="hostId"):
        RevenueSplit(site_id="S", host_share_percent=D(10))


# ---- subscriptions ---------------------------------------------------------------------------

PLANS = {
    "BASIC": Plan(
        tenant_id="demo",
        plan_id="BASIC",
        name="Basic",
        currency="EUR",
        monthly_fee=D("9.90"),
        fee_vat_rate=D("19"),
    ),
    "PLUS": Plan(
        tenant_id="demo",
        plan_id="PLUS",
        name="Plus",
        currency="EUR",
        monthly_fee=D("29.90"),
        fee_vat_rate=D("19"),
    ),
}


def _subscription(start: date = date(2026, 3, 1)) -> Subscription:
    return Subscription(
        tenant_id="demo",
        subscription_id="SUB",
        billing_account_id="A",
        subscriber_type=SubscriberType.FLEET,
        subscriber_id="FLEET-1",
        terms=[SubscriptionTerm(plan_id="BASIC", starts_on=start)],
    )


def test_a_full_month_bills_the_fee_once() -> None:
    invoice = monthly_invoice(_subscription(), PLANS, year=2026, month=4, postpaid_cdrs=[], issued_at=T0)
    assert invoice is not None and [line.excl_vat for line in invoice.lines] == [D("9.90")]
    assert invoice.total_incl_vat == D("11.78")  # 9.90 + 1.881 -> 1.88


def test_a_mid_month_change_is_prorated_by_days() -> None:
    changed = change_plan(_subscription(), plan_id="PLUS", on=date(2026, 4, 11))
    invoice = monthly_invoice(changed, PLANS, year=2026, month=4, postpaid_cdrs=[], issued_at=T0)
    assert invoice is not None
    # April has 30 days: 10 days of Basic (3.30) and 20 days of Plus (19.9333 -> 19.93)
    assert [line.excl_vat for line in invoice.lines] == [D("3.30"), D("19.93")]
    assert [line.quantity for line in invoice.lines] == [D(10), D(20)]


def test_a_subscription_starting_or_cancelled_mid_month_pays_its_days_only() -> None:
    late = monthly_invoice(
        _subscription(date(2026, 4, 16)), PLANS, year=2026, month=4, postpaid_cdrs=[], issued_at=T0
    )
    assert late is not None and late.lines[0].excl_vat == D("4.95")
    cancelled = cancel(_subscription(), on=date(2026, 4, 16))
    assert monthly_invoice(cancelled, PLANS, year=2026, month=5, postpaid_cdrs=[], issued_at=T0) is None


def test_overlapping_terms_are_refused() -> None:
    with pytest.raises(ValueError, match=r"terms\[1\]"):
        Subscription(
            tenant_id="demo",
            subscription_id="S",
            billing_account_id="A",
            subscriber_type=SubscriberType.DRIVER,
            subscriber_id="D",
            terms=[
                SubscriptionTerm(plan_id="BASIC", starts_on=date(2026, 1, 1)),
                SubscriptionTerm(plan_id="PLUS", starts_on=date(2026, 2, 1)),
            ],
        )


# ---- payment failure classification ----------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"code": "card_declined", "decline_code": "insufficient_funds", "http_status": 402},
            FailureClass.FINAL,
        ),
        (
            {"code": "card_declined", "decline_code": "try_again_later", "http_status": 402},
            FailureClass.RETRYABLE,
        ),
        ({"code": "card_declined", "decline_code": "stolen_card"}, FailureClass.FINAL),
        ({"code": "authentication_required", "error_type": "card_error"}, FailureClass.FINAL),
        ({"code": None, "http_status": 503, "error_type": "api_error"}, FailureClass.RETRYABLE),
        ({"code": "rate_limit", "http_status": 429}, FailureClass.RETRYABLE),
        ({"code": "lock_timeout", "http_status": 409}, FailureClass.RETRYABLE),
        ({"code": None, "http_status": None}, FailureClass.RETRYABLE),
        ({"code": "network_error"}, FailureClass.RETRYABLE),
        (
            {"code": "parameter_missing", "http_status": 400, "error_type": "invalid_request_error"},
            FailureClass.FINAL,
        ),
        ({"code": None, "http_status": 401, "error_type": "authentication_error"}, FailureClass.FINAL),
        (
            {"code": "idempotency_key_in_use", "http_status": 400, "error_type": "idempotency_error"},
            FailureClass.FINAL,
        ),
        ({"code": "insufficient_funds"}, FailureClass.FINAL),
    ],
)
def test_failure_classification(kwargs: dict[str, object], expected: FailureClass) -> None:
    assert classify_failure(**kwargs) is expected  # type: ignore[arg-type]


def test_backoff_grows_and_is_capped_and_parking_comes_after_the_last_attempt() -> None:
    assert [backoff_seconds(n) for n in range(1, 8)] == [60, 240, 960, 3840, 15360, 21600, 21600]
    retryable = PaymentFailure(code="x", message="x", classification=FailureClass.RETRYABLE)
    final = retryable.model_copy(update={"classification": FailureClass.FINAL})
    assert not should_park(retryable, 5) and should_park(retryable, 6) and should_park(final, 1)


# ---- usage mapping ---------------------------------------------------------------------------


def test_a_platform_session_and_its_meter_values_map_onto_session_usage() -> None:
    session = Session(
        session_id="CP-1:reg-1:7",
        registration_id="reg-1",
        tenant_id="demo",
        station_id="CP-1",
        site_id="SITE-1",
        evse_id=1,
        connector_id=1,
        transaction_id="7",
        protocol="ocpp1.6",
        id_token="TAG-1",
        started_at=T0,
        stopped_at=T0 + timedelta(hours=1),
        meter_start_wh=1000.0,
        meter_stop_wh=13333.0,
        created_at=T0,
    )
    meter_values = [
        MeterValue(
            timestamp=T0 + timedelta(minutes=30),
            sampled_value=[
                SampledValue(value="7.000", unit="kWh"),  # default measurand: the energy register
                SampledValue(value="7400", measurand="Power.Active.Import", unit="W"),
                *(
                    SampledValue(value="10.5", measurand="Current.Import", unit="A", phase=p)
                    for p in ("L1", "L2", "L3")
                ),
            ],
        ),
        MeterValue(timestamp=T0 + timedelta(minutes=40), sampled_value=[SampledValue(value="garbage")]),
        MeterValue(
            timestamp=T0 + timedelta(minutes=45), sampled_value=[SampledValue(value="x", format="SignedData")]
        ),
    ]
    usage = usage_from_session(session, meter_values, time_zone="Europe/Berlin")
    assert usage.meter_start_wh == D("1000.0") and usage.meter_stop_wh == D("13333.0")
    assert [(r.timestamp, r.wh) for r in usage.energy_readings] == [
        (T0 + timedelta(minutes=30), D("7000.000"))
    ]
    assert usage.power_samples[0].watts == D("7400")
    assert usage.current_samples[0].amps == D("31.5")
    assert price_session(usage, energy_tariff(), priced_at=T0).total_cost.excl_vat == D("3.70")


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        a_usage(time_zone="Mars/Olympus")


# ---- money -----------------------------------------------------------------------------------


def test_currency_minor_units() -> None:
    assert (minor_units("EUR"), minor_units("JPY"), minor_units("KWD"), minor_units("CLF")) == (2, 0, 3, 4)
    assert "XAU" not in MINOR_UNITS and len(MINOR_UNITS) > 150
    assert round_money(D("0.125"), "EUR") == D("0.13") and round_money(D("-0.125"), "EUR") == D("-0.13")
