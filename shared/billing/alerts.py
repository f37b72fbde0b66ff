"""What billing parked for an operator to act on (GET /v1/billing-alerts), and re-drive."""

from __future__ import annotations

from shared.domain.base import DomainModel, UtcDatetime


class BillingAlert(DomainModel):
    tenant_id: str
    alert_key: str
    kind: str
    """session_unbilled, invoice_parked, split_failed, subscription_unbilled."""
    subject_id: str
    """The session, invoice or subscription id."""
    period: str | None = None
    reason: str
    raised_at: UtcDatetime
