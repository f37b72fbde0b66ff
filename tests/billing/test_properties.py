"""Property tests: pricing adds up, splitting never changes a flat tariff, limits hold, ledger balances."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.billing.invoices import invoice_from_cdr
from shared.billing.ledger import (
    LedgerTransaction,
    RevenueSplit,
    balances,
    clearing,
    invoice_transaction,
    payment_transaction,
    reversal,
    split_amounts,
    split_transaction,
)
from shared.billing.money import allocate_rounded, quantum, round_money
from shared.billing.pricing import price_session
from shared.billing.tariffs import Tariff
from shared.billing.usage import EnergyReading, SessionUsage
from tests.billing.builders import T0

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

prices = st.decimals(min_value=0, max_value=5, places=4, allow_nan=False, allow_infinity=False)
vats = st.one_of(
    st.none(), st.sampled_from([Decimal(0), Decimal(7), Decimal(19), Decimal("20.5"), Decimal(21)])
)
steps = st.sampled_from([1, 1, 10, 60, 300, 500, 900])
clock = st.integers(min_value=0, max_value=23 * 60 + 59).map(lambda m: f"{m // 60:02d}:{m % 60:02d}")


@st.composite
def usages(draw: st.DrawFn) -> SessionUsage:
    start = T0 + timedelta(minutes=draw(st.integers(min_value=0, max_value=7 * 24 * 60)))
    minutes = draw(st.integers(min_value=0, max_value=10 * 60))
    offsets = sorted(draw(st.lists(st.integers(min_value=0, max_value=max(minutes, 0)), max_size=12)))
    register = Decimal(draw(st.integers(min_value=0, max_value=10**7)))
    readings = []
    for offset in offsets:
        register += Decimal(draw(st.integers(min_value=0, max_value=30_000))) / draw(
            st.sampled_from([1, 10, 1000])
        )
        readings.append(EnergyReading(timestamp=start + timedelta(minutes=offset), wh=register))
    idle_tail = draw(st.booleans())
    return SessionUsage(
        session_id="S",
        tenant_id="t",
        station_id="CP",
        started_at=start,
        stopped_at=start + timedelta(minutes=minutes, seconds=draw(st.integers(min_value=0, max_value=59))),
        meter_start_wh=readings[0].wh if readings else None,
        meter_stop_wh=None if idle_tail else register,
        energy_readings=readings,
        time_zone=draw(st.sampled_from(["UTC", "Europe/Berlin", "America/New_York"])),
    )


def _component(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    component: dict[str, Any] = {"type": kind, "price": str(draw(prices)), "stepSize": draw(steps)}
    vat = draw(vats)
    if vat is not None:
        component["vat"] = str(vat)
    return component


@st.composite
def tariffs(draw: st.DrawFn) -> Tariff:
    """A fallback element with every dimension, behind zero to three restricted elements."""
    kinds = ["ENERGY", "TIME", "PARKING_TIME", "FLAT"]
    elements: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        chosen = draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=4, unique=True))
        restriction: dict[str, Any] = draw(
            st.sampled_from(
                [
                    {"startTime": draw(clock), "endTime": draw(clock)},
                    {"dayOfWeek": ["SATURDAY", "SUNDAY"]},
                    {"maxKwh": str(draw(st.integers(min_value=1, max_value=40)))},
                    {"minDuration": draw(st.integers(min_value=60, max_value=7200))},
                ]
            )
        )
        if restriction.get("startTime") is not None and restriction["startTime"] == restriction["endTime"]:
            restriction = {"startTime": restriction["startTime"]}
        elements.append(
            {"priceComponents": [_component(draw, k) for k in chosen], "restrictions": restriction}
        )
    elements.append({"priceComponents": [_component(draw, k) for k in kinds]})
    document: dict[str, Any] = {
        "tariffId": "P",
        "currency": draw(st.sampled_from(["EUR", "JPY", "KWD"])),
        "elements": elements,
    }
    try:
        return Tariff.model_validate(document)
    except ValueError:  # e.g. a restricted element fully shadowed: drop the restricted ones
        document["elements"] = elements[-1:]
        return Tariff.model_validate(document)


def _with_limits(tariff: Tariff, low: Decimal | None, high: Decimal | None) -> Tariff:
    q = quantum(tariff.currency)
    update: dict[str, Any] = {}
    incl_needed = tariff.has_vat
    if low is not None:
        update["min_price"] = {
            "excl_vat": low.quantize(q),
            **({"incl_vat": (low * 2).quantize(q)} if incl_needed else {}),
        }
    if high is not None:
        high = max(high, (low or Decimal(0)) * 2)
        update["max_price"] = {
            "excl_vat": high.quantize(q),
            **({"incl_vat": (high * 3).quantize(q)} if incl_needed else {}),
        }
    return Tariff.model_validate({**tariff.model_dump(), **update})


@PROPERTY
@given(tariff=tariffs(), usage=usages())
def test_a_cdr_total_equals_the_sum_of_its_parts(tariff: Tariff, usage: SessionUsage) -> None:
    cdr = price_session(usage, tariff, priced_at=T0)
    adjustment_excl = cdr.adjustment.excl_vat if cdr.adjustment else 0
    adjustment_incl = cdr.adjustment.incl_vat if cdr.adjustment else 0
    assert cdr.total_cost.excl_vat == sum(line.excl_vat for line in cdr.breakdown) + adjustment_excl
    assert cdr.total_cost.incl_vat == sum(line.incl_vat for line in cdr.breakdown) + adjustment_incl
    assert cdr.total_cost.incl_vat == cdr.total_cost.excl_vat + cdr.total_vat
    q = quantum(tariff.currency)
    assert all(line.excl_vat == line.excl_vat.quantize(q) and line.excl_vat >= 0 for line in cdr.breakdown)
    # periods tile the session, and the invoice keeps the CDR's total
    assert cdr.charging_periods[0].start_date_time == cdr.start_date_time
    assert cdr.charging_periods[-1].end_date_time == cdr.end_date_time
    invoice = invoice_from_cdr(cdr, billing_account_id="A", issued_at=T0)
    assert invoice.total_incl_vat == cdr.total_cost.incl_vat


@st.composite
def flat_tariff_and_split(draw: st.DrawFn) -> tuple[Tariff, Tariff]:
    """The same prices as one unrestricted element, and cut in two at a random boundary."""
    components = [_component(draw, kind) for kind in ["ENERGY", "TIME", "PARKING_TIME", "FLAT"]]
    components = draw(
        st.lists(st.sampled_from(components), min_size=1, max_size=4, unique_by=lambda c: c["type"])
    )
    cut = draw(
        st.sampled_from(
            [
                {"endTime": draw(clock.filter(lambda text: text != "00:00"))},
                {"startTime": draw(clock.filter(lambda text: text != "00:00"))},
                {
                    "dayOfWeek": draw(
                        st.lists(st.sampled_from(["MONDAY", "TUESDAY", "SATURDAY"]), min_size=1, unique=True)
                    )
                },
                {"maxKwh": str(draw(st.integers(min_value=1, max_value=30)))},
                {"minDuration": draw(st.integers(min_value=1, max_value=20000))},
                {"maxPower": str(draw(st.integers(min_value=1, max_value=50)))},
                {"endDate": "2026-03-04"},
            ]
        )
    )
    currency = draw(st.sampled_from(["EUR", "JPY"]))
    flat = Tariff.model_validate(
        {"tariffId": "F", "currency": currency, "elements": [{"priceComponents": components}]}
    )
    split = Tariff.model_validate(
        {
            "tariffId": "F",
            "currency": currency,
            "elements": [
                {"priceComponents": components, "restrictions": cut},
                {"priceComponents": components},
            ],
        }
    )
    return flat, split


@PROPERTY
@given(pair=flat_tariff_and_split(), usage=usages())
def test_splitting_a_session_at_any_boundary_never_changes_a_flat_tariffs_total(
    pair: tuple[Tariff, Tariff], usage: SessionUsage
) -> None:
    flat, split = pair
    whole = price_session(usage, flat, priced_at=T0)
    cut = price_session(usage, split, priced_at=T0)
    assert cut.total_cost == whole.total_cost
    assert cut.total_vat == whole.total_vat
    assert len(cut.breakdown) >= len(whole.breakdown)


@PROPERTY
@given(
    tariff=tariffs(),
    usage=usages(),
    low=st.one_of(st.none(), st.decimals(min_value=0, max_value=20, places=2)),
    high=st.one_of(st.none(), st.decimals(min_value=0, max_value=40, places=2)),
)
def test_min_and_max_price_are_respected(
    tariff: Tariff, usage: SessionUsage, low: Decimal | None, high: Decimal | None
) -> None:
    limited = _with_limits(tariff, low, high)
    cdr = price_session(usage, limited, priced_at=T0)
    if limited.min_price is not None:
        assert cdr.total_cost.excl_vat >= limited.min_price.excl_vat
        assert cdr.total_cost.incl_vat >= (limited.min_price.incl_vat or limited.min_price.excl_vat)
    if limited.max_price is not None:
        assert cdr.total_cost.excl_vat <= limited.max_price.excl_vat
        assert cdr.total_cost.incl_vat <= (limited.max_price.incl_vat or limited.max_price.excl_vat)
    unlimited = price_session(usage, tariff, priced_at=T0)
    if cdr.adjustment is None:
        assert cdr.total_cost == unlimited.total_cost


@PROPERTY
@given(
    parts=st.lists(st.fractions(min_value=0, max_value=1000, max_denominator=10**6), min_size=1, max_size=20),
    currency=st.sampled_from(["EUR", "JPY", "KWD"]),
)
def test_allocated_parts_add_up_to_the_rounded_total_and_stay_within_one_unit(
    parts: list[Fraction], currency: str
) -> None:
    total, rounded = allocate_rounded(parts, currency)
    assert total == round_money(sum(parts, Fraction(0)), currency)
    assert sum(rounded, Decimal(0)) == total
    unit = Fraction(quantum(currency))
    assert all(abs(Fraction(r) - p) < unit for r, p in zip(rounded, parts, strict=True))


amounts = st.decimals(min_value=0, max_value=10_000, places=2)
shares = st.decimals(min_value=0, max_value=60, places=2)


@st.composite
def split_rules(draw: st.DrawFn, site_id: str = "SITE-1") -> RevenueSplit:
    host = draw(shares)
    return RevenueSplit(
        site_id=site_id,
        host_id="HOST" if host > 0 or draw(st.booleans()) else None,
        host_share_percent=host,
        platform_fee_percent=draw(st.decimals(min_value=0, max_value=Decimal(100) - host, places=2)),
        platform_fee_fixed=draw(st.decimals(min_value=0, max_value=2, places=2)),
    )


@PROPERTY
@given(net=amounts, rule=split_rules())
def test_a_revenue_split_sums_to_the_net_exactly(net: Decimal, rule: RevenueSplit) -> None:
    operator, host, platform = split_amounts(net, "EUR", rule)
    assert operator + host + platform == net
    assert min(operator, host, platform) >= 0


@PROPERTY
@given(
    nets=st.dictionaries(st.sampled_from(["SITE-1", "SITE-2", "-"]), amounts, min_size=1),
    vat=amounts,
    rule=split_rules(),
    refund_share=st.fractions(min_value=0, max_value=1),
)
def test_the_ledger_always_balances_and_a_paid_invoice_leaves_nothing_owed(
    nets: dict[str, Decimal], vat: Decimal, rule: RevenueSplit, refund_share: Fraction
) -> None:
    transactions: list[LedgerTransaction] = []
    invoice = invoice_transaction(
        transaction_id="invoice:I",
        tenant_id="t",
        billing_account_id="A",
        currency="EUR",
        net_by_site=nets,
        vat=vat,
        reference="I",
        booked_at=T0,
    )
    if invoice is None:
        return
    amount_paid = sum(nets.values(), Decimal(0)) + vat
    payment = payment_transaction(
        transaction_id="payment:I",
        tenant_id="t",
        billing_account_id="A",
        source_account=clearing("stripe"),
        currency="EUR",
        amount=amount_paid,
        reference="I",
        booked_at=T0,
    )
    split = split_transaction(
        transaction_id="split:I",
        tenant_id="t",
        currency="EUR",
        net_by_site=nets,
        rules={"SITE-1": rule},
        reference="I",
        booked_at=T0,
    )
    transactions = [invoice, payment, *([split] if split else [])]
    for transaction in transactions:
        assert sum(entry.amount for entry in transaction.entries) == 0
    book = balances(transactions)
    # the customer owes nothing, nothing is left unallocated, and what was paid is all accounted for
    assert book.get("receivable:A", 0) == 0
    assert all(value == 0 for account, value in book.items() if account.startswith("unallocated:"))
    credits = -sum(value for account, value in book.items() if not account.startswith("clearing:"))
    assert credits == amount_paid == book["clearing:stripe"]
    # refunds and credit notes are reversals: in full they bring every account back to zero
    undone = [reversal(t, transaction_id=f"r:{t.transaction_id}", booked_at=T0) for t in transactions]
    assert all(value == 0 for value in balances([*transactions, *undone]).values())
    # a partial refund balances too, and never reverses more than an account moved
    part = round_money(Fraction(payment.total) * refund_share, "EUR")
    if part > 0:
        partial = reversal(payment, transaction_id="r:p", booked_at=T0, amount=part)
        assert sum(entry.amount for entry in partial.entries) == 0
        assert partial.total == part
