"""Unit tests for the network model: phase wiring, limits, exact magnitudes."""

from __future__ import annotations

import cmath
import math

import pytest
from pydantic import ValidationError

from shared.energy import Circuit, Evse, SiteNetwork, Transformer, Wiring
from shared.energy.models import line_phasors
from shared.energy.network import compile_network, max_increase, row_magnitudes, violations


def an_evse(evse_id: str, wiring: Wiring, circuit_id: str | None = None, **overrides: object) -> Evse:
    fields: dict[str, object] = {
        "evse_id": evse_id,
        "circuit_id": circuit_id,
        "wiring": wiring,
        "voltage": 208.0,
        "max_current_amps": 32.0,
    }
    fields.update(overrides)
    return Evse.model_validate(fields)


def test_line_to_line_current_leaves_on_first_line_and_returns_on_second() -> None:
    # Given / When
    phasors = line_phasors(Wiring.AB)

    # Then
    assert set(phasors) == {"A", "B"}
    assert cmath.phase(phasors["A"]) == pytest.approx(math.radians(30))
    assert phasors["B"] == pytest.approx(-phasors["A"])


def test_line_to_neutral_uses_one_line_at_its_phase_angle() -> None:
    assert line_phasors(Wiring.B) == {"B": pytest.approx(cmath.exp(-2j * math.pi / 3))}


def test_balanced_line_to_line_load_puts_root_three_times_the_branch_current_on_each_line() -> None:
    # Given three 10 A chargers, one on each pair of lines
    network = SiteNetwork(
        transformer=Transformer(secondary_limit_amps=100),
        evses=(an_evse("ab", Wiring.AB), an_evse("bc", Wiring.BC), an_evse("ca", Wiring.CA)),
    )

    # When
    compiled = compile_network(network)
    magnitudes = row_magnitudes(compiled, [10.0, 10.0, 10.0])

    # Then
    assert [row.name for row in compiled.rows] == [
        "transformer:secondary:A",
        "transformer:secondary:B",
        "transformer:secondary:C",
    ]
    assert magnitudes == pytest.approx([10 * math.sqrt(3)] * 3)


def test_one_pair_of_lines_alone_loads_both_lines_with_its_own_current() -> None:
    network = SiteNetwork(
        transformer=Transformer(secondary_limit_amps=100), evses=(an_evse("ab", Wiring.AB),)
    )

    magnitudes = row_magnitudes(compile_network(network), [20.0])

    assert magnitudes == pytest.approx([20.0, 20.0])


def test_delta_wye_primary_carries_difference_of_secondary_lines_over_the_ratio() -> None:
    # Given a single line-to-neutral load on A: secondary A = I, so primary A = I/r and primary B = -I/r
    network = SiteNetwork(
        transformer=Transformer(secondary_limit_amps=100, primary_limit_amps=50, turns_ratio=4),
        evses=(an_evse("a", Wiring.A),),
    )

    compiled = compile_network(network)
    by_name = dict(zip((r.name for r in compiled.rows), row_magnitudes(compiled, [16.0]), strict=True))

    assert by_name == pytest.approx(
        {"transformer:secondary:A": 16.0, "transformer:primary:A": 4.0, "transformer:primary:B": 4.0}
    )


def test_circuit_limits_apply_to_every_circuit_on_the_way_to_the_transformer() -> None:
    # Given a branch under a panel
    network = SiteNetwork(
        circuits=(
            Circuit(circuit_id="panel", limit_amps=40),
            Circuit(circuit_id="branch", parent_id="panel", limit_amps=32),
        ),
        evses=(an_evse("x", Wiring.A, "branch"), an_evse("y", Wiring.A, "panel")),
    )

    compiled = compile_network(network)

    # Then the branch sees x only, the panel both
    assert {r.name: r.members for r in compiled.rows} == {
        "circuit:branch:A": (0,),
        "circuit:panel:A": (0, 1),
    }
    assert violations(compiled, [32.0, 8.0]) == []
    assert violations(compiled, [32.0, 9.0]) == ["circuit:panel:A"]


def test_rows_whose_loads_share_one_angle_are_recognised_as_linear() -> None:
    network = SiteNetwork(
        circuits=(Circuit(circuit_id="pod", limit_amps=80),),
        transformer=Transformer(secondary_limit_amps=100),
        evses=(an_evse("p", Wiring.AB, "pod"), an_evse("q", Wiring.AB, "pod"), an_evse("r", Wiring.CA)),
    )

    rows = {r.name: r.single_angle for r in compile_network(network).rows}

    assert rows["circuit:pod:A"] is True
    assert rows["transformer:secondary:A"] is False


def test_max_increase_is_exact_on_the_circle() -> None:
    # Given a line already carrying 10 A at 0 degrees, limit 20 A, adding current at 90 degrees
    network = SiteNetwork(transformer=Transformer(secondary_limit_amps=20), evses=(an_evse("a", Wiring.A),))
    row = compile_network(network).rows[0]

    room = max_increase([10 + 0j], [row], [1j])

    assert room == pytest.approx(math.sqrt(20**2 - 10**2))


def test_network_rejects_unknown_parent_and_cycles() -> None:
    with pytest.raises(ValidationError, match="unknown parent"):
        SiteNetwork(circuits=(Circuit(circuit_id="a", parent_id="nope", limit_amps=10),), evses=())
    with pytest.raises(ValidationError, match="cycle"):
        SiteNetwork(
            circuits=(
                Circuit(circuit_id="a", parent_id="b", limit_amps=10),
                Circuit(circuit_id="b", parent_id="a", limit_amps=10),
            ),
            evses=(),
        )


def test_evse_rejects_minimum_above_maximum_and_pilots_above_maximum() -> None:
    with pytest.raises(ValidationError, match="min_current_amps"):
        an_evse("x", Wiring.A, min_current_amps=40)
    with pytest.raises(ValidationError, match="allowed pilot"):
        an_evse("x", Wiring.A, allowed_pilots_amps=(0, 40))


def test_pilot_values_always_include_zero() -> None:
    assert an_evse("x", Wiring.A, allowed_pilots_amps=(16, 8)).pilot_values == (0.0, 8.0, 16.0)


@pytest.mark.parametrize(
    ("wiring", "watts"),
    [(Wiring.A, 230.0), (Wiring.AB, 230.0), (Wiring.CA, 230.0), (Wiring.ABC, 690.0)],
)
def test_power_per_ampere_counts_the_lines_a_current_flows_on_once(wiring: Wiring, watts: float) -> None:
    # a line-to-line current flows out on one line and back on the other: one current, one voltage
    assert an_evse("e", wiring, voltage=230.0).watts_per_amp == watts
