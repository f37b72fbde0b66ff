"""The charger's OCPP 1.6 configuration keys (Core profile and a few common ones)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ocpp.v16.enums import ConfigurationStatus

from tools.simulator.settings import ChargerSettings


@dataclass
class ConfigurationKey:
    value: str
    readonly: bool = False


class ConfigurationKeys:
    def __init__(self, keys: dict[str, ConfigurationKey]) -> None:
        self._keys = keys

    @classmethod
    def defaults(cls, settings: ChargerSettings) -> ConfigurationKeys:
        connectors = settings.connectors
        return cls(
            {
                "AllowOfflineTxForUnknownId": ConfigurationKey("false"),
                "AuthorizeRemoteTxRequests": ConfigurationKey("false"),
                "ClockAlignedDataInterval": ConfigurationKey("0"),
                "ConnectionTimeOut": ConfigurationKey("60"),
                "ConnectorPhaseRotation": ConfigurationKey(
                    ",".join(f"{n}.RST" for n in range(connectors + 1))
                ),
                "GetConfigurationMaxKeys": ConfigurationKey("50", readonly=True),
                "HeartbeatInterval": ConfigurationKey("300"),
                "LocalAuthorizeOffline": ConfigurationKey("true"),
                "LocalPreAuthorize": ConfigurationKey("false"),
                "MeterValuesAlignedData": ConfigurationKey("Energy.Active.Import.Register"),
                "MeterValuesSampledData": ConfigurationKey(
                    "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC"
                ),
                "MeterValueSampleInterval": ConfigurationKey(str(int(settings.meter_interval_seconds))),
                "NumberOfConnectors": ConfigurationKey(str(connectors), readonly=True),
                "ResetRetries": ConfigurationKey("1"),
                "StopTransactionOnEVSideDisconnect": ConfigurationKey("true"),
                "StopTransactionOnInvalidId": ConfigurationKey("true"),
                "StopTxnAlignedData": ConfigurationKey(""),
                "StopTxnSampledData": ConfigurationKey("Energy.Active.Import.Register"),
                "SupportedFeatureProfiles": ConfigurationKey(
                    "Core,FirmwareManagement,LocalAuthListManagement,RemoteTrigger,SmartCharging",
                    readonly=True,
                ),
                "TransactionMessageAttempts": ConfigurationKey("3"),
                "TransactionMessageRetryInterval": ConfigurationKey("60"),
                "UnlockConnectorOnEVSideDisconnect": ConfigurationKey("true"),
                "WebSocketPingInterval": ConfigurationKey("0"),
            }
        )

    def value(self, key: str) -> str:
        return self._keys[key].value

    def set_value(self, key: str, value: str) -> None:
        self._keys[key].value = value

    def change(self, key: str, value: str) -> ConfigurationStatus:
        entry = self._keys.get(key)
        if entry is None:
            return ConfigurationStatus.not_supported
        if entry.readonly:
            return ConfigurationStatus.rejected
        if key.endswith("Interval") and not value.isdigit():
            return ConfigurationStatus.rejected
        entry.value = value
        return ConfigurationStatus.accepted

    def describe(self, keys: list[str] | None) -> tuple[list[dict[str, Any]], list[str]]:
        """GetConfiguration.conf: every key when none are asked for, else the known ones and the rest."""
        wanted = keys or sorted(self._keys)
        known = [
            {"key": key, "readonly": self._keys[key].readonly, "value": self._keys[key].value}
            for key in wanted
            if key in self._keys
        ]
        return known, [key for key in wanted if key not in self._keys]
