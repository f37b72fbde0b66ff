"""What one simulated charger is, and how fast simulated time runs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChargerSettings:
    station_id: str
    url: str
    """Base URL; the charger connects to ``<url>/<station_id>``."""
    password: str | None = None
    """HTTP Basic auth ``station_id:password`` (OCPP security profile 1/2) when set."""
    id_tag: str = "SIM-TAG-1"
    connectors: int = 2
    sessions: int = 1
    """Sessions started locally (Authorize first) after the first boot; 0 only answers the CSMS."""
    session_seconds: float = 1800.0
    """Simulated duration of a session."""
    meter_interval_seconds: float = 60.0
    """Simulated seconds between MeterValues (MeterValueSampleInterval)."""
    pause_between_sessions_seconds: float = 60.0
    """Simulated seconds between planned sessions."""
    time_scale: float = 1.0
    """Simulated seconds per real second (60: a simulated hour per real minute)."""
    heartbeat_seconds: float | None = None
    """Real seconds between heartbeats; None uses the interval the CSMS returns at boot."""
    reconnect_delay_seconds: float = 1.0
    """First real delay before reconnecting; doubles up to 30 s while the CSMS refuses or is away."""
    response_timeout_seconds: float = 30.0
    stop_transaction_deliveries: int = 1
    """How often each StopTransaction is sent (the same message again: a charger that lost the CSMS's
    answer and repeats it, as OCPP 1.6 lets it); 2 tests that the CSMS ends and bills a session once."""
    max_power_w: float = 11_000.0
    protocol: str = "1.6"
    """1.6 or 2.0.1."""
    report_items_per_message: int = 10
    """2.0.1: report entries per NotifyReport part (DeviceDataCtrlr.ItemsPerMessage)."""
    extra_report_variables: int = 0
    """2.0.1: vendor variables added to the device model (bigger, multi-part reports)."""
    replay_out_of_order: bool = False
    """2.0.1: after an offline period, deliver the queued transaction events shuffled, one twice (what a
    station that retries and reorders its queue does)."""
    vendor: str = "CSMS Simulator"
    model: str = "SIM-AC22"
    firmware_version: str = "1.6.0-sim"
    firmware_outcome: str = "Installed"
    """How an UpdateFirmware ends (tools/simulator/device_management.py): Installed, InstallationFailed,
    DownloadFailed, CorruptDownload or LoseInstalledNotification."""
    firmware_step_seconds: float = 30.0
    """Simulated seconds of each download, install and upload step."""

    def real_seconds(self, simulated_seconds: float) -> float:
        return simulated_seconds / self.time_scale
