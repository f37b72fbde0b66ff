"""Chargers the allocator cannot steer: what to flag, and how to allocate around them.

Two pure rules, each returning a ``Finding`` (for the operator) with the current the allocator
must count the EVSE at (``SessionDemand.fixed_draw_amps``): it then gets no allocation, and its
draw loads every line it hangs from, so the others are held within the site's limits.

- **Ignores its limit**: the car keeps drawing above the limit in force for ``samples_needed``
  consecutive meter samples, each taken at least ``grace_seconds`` after the limit took effect
  (IEC 61851-1 gives a car 5 s to follow a pilot change; meters lag). Counted at the most it drew
  in those samples. Cleared once it draws within its limit again for as many samples.
- **Rejected its profile**: the charger answered SetChargingProfile with Rejected or NotSupported
  (or a CALLERROR). Counted at the limit still in force if one is (an earlier accepted profile or
  its fail-safe), else at its maximum, since nothing holds it lower. Cleared by the next
  accepted profile.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import Field

from shared.domain.base import DomainModel, UtcDatetime
from shared.energy.profiles import ProfileOutcome

FindingKind = Literal["ignores-limit", "rejected-profile"]


class DrawSample(DomainModel):
    at: UtcDatetime
    drawn_amps: float = Field(ge=0)
    """The highest phase current the meter reported."""


class Finding(DomainModel):
    evse_id: str
    """The allocator's EVSE id (``station/evse``)."""
    kind: FindingKind
    count_at_amps: float = Field(ge=0)
    detail: str
    since: UtcDatetime | None = None


def ignored_limit(
    evse_id: str,
    limit_amps: float,
    limit_since: datetime,
    samples: Sequence[DrawSample],
    *,
    samples_needed: int = 3,
    grace_seconds: float = 30.0,
    tolerance_amps: float = 1.0,
    tolerance_fraction: float = 0.05,
) -> Finding | None:
    """A finding when the last ``samples_needed`` samples taken after the grace all draw above
    the limit (plus a metering tolerance); None otherwise (too few samples counts as None)."""
    settled = sorted(
        (s for s in samples if (s.at - limit_since).total_seconds() >= grace_seconds), key=lambda s: s.at
    )
    recent = settled[-samples_needed:]
    if len(recent) < samples_needed:
        return None
    allowed = limit_amps + max(tolerance_amps, tolerance_fraction * limit_amps)
    if all(s.drawn_amps > allowed for s in recent):
        drawn = max(s.drawn_amps for s in recent)
        return Finding(
            evse_id=evse_id,
            kind="ignores-limit",
            count_at_amps=drawn,
            detail=f"drew {drawn:.1f} A against a {limit_amps:g} A limit in {samples_needed} samples running",
            since=recent[0].at,
        )
    return None


def still_ignoring(
    finding: Finding, limit_amps: float, samples: Sequence[DrawSample], *, samples_needed: int = 3
) -> bool:
    """Whether a flagged EVSE stays flagged: it does until its last ``samples_needed`` samples
    after the finding are all within its limit."""
    since = finding.since
    later = sorted((s for s in samples if since is None or s.at > since), key=lambda s: s.at)
    recent = later[-samples_needed:]
    return len(recent) < samples_needed or any(s.drawn_amps > limit_amps + 1.0 for s in recent)


def rejected_profile(
    evse_id: str,
    outcome: ProfileOutcome | Literal["error", "timeout"],
    sent_amps: float,
    limit_in_force_amps: float | None,
    max_current_amps: float,
    at: datetime,
) -> Finding | None:
    """A finding when the charger did not accept the profile; None when it did. After a refusal
    the limit in force is the old one (or none: its maximum); after a timeout either the old or
    the new one may be in force, so it counts at the higher."""
    if outcome == ProfileOutcome.ACCEPTED:
        return None
    count_at = max_current_amps if limit_in_force_amps is None else limit_in_force_amps
    if outcome == "timeout":
        count_at = max(count_at, sent_amps)
    return Finding(
        evse_id=evse_id,
        kind="rejected-profile",
        count_at_amps=min(count_at, max_current_amps),
        detail=f"SetChargingProfile: {outcome}",
        since=at,
    )
