"""Currencies, exact amounts and the one rounding rule billing uses.

Money is ``Decimal`` (never float). Intermediate pricing arithmetic is exact (``Fraction``); an
amount is rounded once, to the currency's minor unit (ISO 4217 exponent), half away from zero
(``ROUND_HALF_UP``), and parts that must add up to a rounded total are rounded with the
largest-remainder method so that they do (see ``allocate_rounded``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

# Active ISO 4217 codes usable for payment and their minor units (exponent). Taken from the ISO 4217
# list one (as republished by moneyphp/iso-currencies, 2024-09) plus ZWG (2024) and XCG (2025);
# precious metals, bond units, SDR, test and "no currency" codes (XAU, XAG, XPD, XPT, XBA-XBD, XDR,
# XSU, XUA, XTS, XXX) are left out: nobody pays for charging in them.
_MINOR_UNITS_TABLE = """
AED 2 AFN 2 ALL 2 AMD 2 ANG 2 AOA 2 ARS 2 AUD 2 AWG 2 AZN 2 BAM 2 BBD 2 BDT 2 BGN 2 BHD 3 BIF 0
BMD 2 BND 2 BOB 2 BOV 2 BRL 2 BSD 2 BTN 2 BWP 2 BYN 2 BZD 2 CAD 2 CDF 2 CHE 2 CHF 2 CHW 2 CLF 4
CLP 0 CNY 2 COP 2 COU 2 CRC 2 CUC 2 CUP 2 CVE 2 CZK 2 DJF 0 DKK 2 DOP 2 DZD 2 EGP 2 ERN 2 ETB 2
EUR 2 FJD 2 FKP 2 GBP 2 GEL 2 GHS 2 GIP 2 GMD 2 GNF 0 GTQ 2 GYD 2 HKD 2 HNL 2 HTG 2 HUF 2 IDR 2
ILS 2 INR 2 IQD 3 IRR 2 ISK 0 JMD 2 JOD 3 JPY 0 KES 2 KGS 2 KHR 2 KMF 0 KPW 2 KRW 0 KWD 3 KYD 2
KZT 2 LAK 2 LBP 2 LKR 2 LRD 2 LSL 2 LYD 3 MAD 2 MDL 2 MGA 2 MKD 2 MMK 2 MNT 2 MOP 2 MRU 2 MUR 2
MVR 2 MWK 2 MXN 2 MXV 2 MYR 2 MZN 2 NAD 2 NGN 2 NIO 2 NOK 2 NPR 2 NZD 2 OMR 3 PAB 2 PEN 2 PGK 2
PHP 2 PKR 2 PLN 2 PYG 0 QAR 2 RON 2 RSD 2 RUB 2 RWF 0 SAR 2 SBD 2 SCR 2 SDG 2 SEK 2 SGD 2 SHP 2
SLE 2 SOS 2 SRD 2 SSP 2 STN 2 SVC 2 SYP 2 SZL 2 THB 2 TJS 2 TMT 2 TND 3 TOP 2 TRY 2 TTD 2 TWD 2
TZS 2 UAH 2 UGX 0 USD 2 USN 2 UYI 0 UYU 2 UYW 4 UZS 2 VED 2 VES 2 VND 0 VUV 0 WST 2 XAF 0 XCD 2
XCG 2 XOF 0 XPF 0 YER 2 ZAR 2 ZMW 2 ZWG 2 ZWL 2
"""

MINOR_UNITS: dict[str, int] = {
    code: int(exponent)
    for code, exponent in zip(_MINOR_UNITS_TABLE.split()[0::2], _MINOR_UNITS_TABLE.split()[1::2], strict=True)
}


class UnknownCurrencyError(ValueError):
    pass


def minor_units(currency: str) -> int:
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        raise UnknownCurrencyError(f"{currency!r} is not an ISO 4217 currency code") from None


def quantum(currency: str) -> Decimal:
    """The smallest amount of the currency: 0.01 for EUR, 1 for JPY, 0.001 for KWD."""
    return Decimal(1).scaleb(-minor_units(currency))


def decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def round_money(value: Fraction | Decimal, currency: str) -> Decimal:
    """Exact value → the currency's minor unit, half away from zero."""
    scale = 10 ** minor_units(currency)
    exact = Fraction(value) * scale
    whole = _round_half_up(exact)
    return (Decimal(whole) / Decimal(scale)).quantize(quantum(currency))


def _round_half_up(value: Fraction) -> int:
    sign = -1 if value < 0 else 1
    magnitude = abs(value)
    floor = magnitude.numerator // magnitude.denominator
    if magnitude - floor >= Fraction(1, 2):
        floor += 1
    return sign * floor


def allocate_rounded(parts: Sequence[Fraction], currency: str) -> tuple[Decimal, list[Decimal]]:
    """Round the exact sum once, then round each part so that the rounded parts add up to it.

    Largest-remainder method over the minor unit: every part is first truncated towards zero, and
    the minor units still missing go to the parts that lost the most. Parts are never moved by a
    full minor unit or more, so each shown part is within one minor unit of its exact value. Meant
    for non-negative parts (billing lines; adjustments such as min/max price are separate lines).
    """
    scale = 10 ** minor_units(currency)
    total_units = _round_half_up(sum(parts, Fraction(0)) * scale)
    scaled = [part * scale for part in parts]
    truncated = [_truncate(value) for value in scaled]
    missing = total_units - sum(truncated)
    step = 1 if missing >= 0 else -1
    # Order by how much each part lost (or would gain) by truncation; ties by position.
    order = sorted(range(len(parts)), key=lambda index: (-(scaled[index] - truncated[index]) * step, index))
    units = list(truncated)
    for index in order[: abs(missing)]:
        units[index] += step
    q = quantum(currency)
    return (
        (Decimal(total_units) / Decimal(scale)).quantize(q),
        [(Decimal(value) / Decimal(scale)).quantize(q) for value in units],
    )


def _truncate(value: Fraction) -> int:
    return int(value)  # int() of a Fraction truncates towards zero


def to_minor_units(amount: Decimal, currency: str) -> int:
    """An amount already rounded to the currency → an integer count of its minor unit."""
    scaled = amount.scaleb(minor_units(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more decimals than {currency} allows ({minor_units(currency)})")
    return int(scaled)


def from_minor_units(units: int, currency: str) -> Decimal:
    return Decimal(units).scaleb(-minor_units(currency)).quantize(quantum(currency))


def half_up(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
