"""The simulated 2.0.1 charger's device model: the components and variables a real one reports (a subset
of OCPP 2.0.1 part 2, appendix 3), with mutability and characteristics, readable and writable through
Get/SetVariables and reported by GetBaseReport/GetReport in parts of ``ItemsPerMessage``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tools.simulator.settings import ChargerSettings


@dataclass
class Variable:
    component: str
    name: str
    value: str
    mutability: str = "ReadWrite"
    data_type: str = "string"
    evse: int | None = None
    instance: str | None = None
    unit: str | None = None

    @property
    def key(self) -> tuple[str, int | None, str, str | None]:
        return (self.component, self.evse, self.name, self.instance)

    def component_document(self) -> dict[str, Any]:
        document: dict[str, Any] = {"name": self.component}
        if self.evse is not None:
            document["evse"] = {"id": self.evse}
        return document

    def variable_document(self) -> dict[str, Any]:
        document: dict[str, Any] = {"name": self.name}
        if self.instance is not None:
            document["instance"] = self.instance
        return document

    def report_entry(self) -> dict[str, Any]:
        attribute: dict[str, Any] = {"type": "Actual", "mutability": self.mutability}
        if self.mutability != "WriteOnly":
            attribute["value"] = self.value
        characteristics: dict[str, Any] = {"dataType": self.data_type, "supportsMonitoring": False}
        if self.unit:
            characteristics["unit"] = self.unit
        return {
            "component": self.component_document(),
            "variable": self.variable_document(),
            "variableAttribute": [attribute],
            "variableCharacteristics": characteristics,
        }


class SimulatedDeviceModel:
    def __init__(self, variables: list[Variable]) -> None:
        self._variables = {variable.key: variable for variable in variables}

    @classmethod
    def defaults(cls, settings: ChargerSettings) -> SimulatedDeviceModel:
        rw, ro = "ReadWrite", "ReadOnly"
        variables = [
            Variable("OCPPCommCtrlr", "HeartbeatInterval", "300", rw, "integer", unit="s"),
            Variable("OCPPCommCtrlr", "MessageTimeout", "30", ro, "integer", instance="Default", unit="s"),
            Variable("OCPPCommCtrlr", "OfflineThreshold", "60", rw, "integer", unit="s"),
            Variable("TxCtrlr", "EVConnectionTimeOut", "60", rw, "integer", unit="s"),
            Variable("TxCtrlr", "TxStartPoint", "PowerPathClosed", rw, "MemberList"),
            Variable("TxCtrlr", "TxStopPoint", "EVConnected,Authorized", rw, "MemberList"),
            Variable("TxCtrlr", "StopTxOnInvalidId", "true", rw, "boolean"),
            Variable("AuthCtrlr", "AuthorizeRemoteStart", "false", rw, "boolean"),
            Variable("AuthCtrlr", "LocalPreAuthorize", "false", rw, "boolean"),
            Variable("AuthCacheCtrlr", "Enabled", "true", rw, "boolean"),
            Variable("LocalAuthListCtrlr", "Enabled", "true", rw, "boolean"),
            Variable("LocalAuthListCtrlr", "Entries", "0", ro, "integer"),
            Variable("ReservationCtrlr", "Enabled", "true", rw, "boolean"),
            Variable("SmartChargingCtrlr", "Enabled", "true", rw, "boolean"),
            Variable(
                "SampledDataCtrlr",
                "TxUpdatedInterval",
                str(int(settings.meter_interval_seconds)),
                rw,
                "integer",
                unit="s",
            ),
            Variable(
                "SampledDataCtrlr",
                "TxUpdatedMeasurands",
                "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC",
                rw,
                "MemberList",
            ),
            Variable("AlignedDataCtrlr", "Interval", "900", rw, "integer", unit="s"),
            Variable(
                "DeviceDataCtrlr",
                "ItemsPerMessage",
                str(settings.report_items_per_message),
                ro,
                "integer",
                instance="GetReport",
            ),
            Variable("DeviceDataCtrlr", "ItemsPerMessage", "20", ro, "integer", instance="GetVariables"),
            Variable("DeviceDataCtrlr", "BytesPerMessage", "65000", ro, "integer", instance="GetReport"),
            Variable("SecurityCtrlr", "Identity", settings.station_id, rw, "string"),
            Variable("SecurityCtrlr", "BasicAuthPassword", "", "WriteOnly", "string"),
            Variable("SecurityCtrlr", "SecurityProfile", "1", ro, "integer"),
            Variable("ClockCtrlr", "TimeSource", "Heartbeat", rw, "SequenceList"),
            Variable("ChargingStation", "Available", "true", ro, "boolean"),
            Variable("ChargingStation", "Model", settings.model, ro, "string"),
            Variable("ChargingStation", "VendorName", settings.vendor, ro, "string"),
        ]
        for evse in range(1, settings.connectors + 1):
            variables.append(Variable("EVSE", "Available", "true", ro, "boolean", evse=evse))
            variables.append(
                Variable("EVSE", "Power", str(int(settings.max_power_w)), ro, "decimal", evse=evse, unit="W")
            )
            variables.append(Variable("Connector", "ConnectorType", "cType2", ro, "OptionList", evse=evse))
        for index in range(settings.extra_report_variables):
            variables.append(Variable("VendorCtrlr", f"Setting{index:04d}", str(index), rw, "integer"))
        return cls(variables)

    def all(self) -> list[Variable]:
        return list(self._variables.values())

    def value(self, component: str, name: str, instance: str | None = None) -> str:
        return self._variables[(component, None, name, instance)].value

    def find(self, component: dict[str, Any], variable: dict[str, Any]) -> tuple[Variable | None, str | None]:
        """The variable, or None and why (UnknownComponent, UnknownVariable). Keys are snake_case."""
        evse = (component.get("evse") or {}).get("id")
        key = (component["name"], evse, variable["name"], variable.get("instance"))
        if key in self._variables:
            return self._variables[key], None
        if not any(existing.component == component["name"] for existing in self._variables.values()):
            return None, "UnknownComponent"
        return None, "UnknownVariable"

    def matching(
        self, criteria: list[str] | None, component_variables: list[dict[str, Any]] | None
    ) -> list[Variable]:
        """GetReport: by component/variable, or by criteria (Active, Available, Enabled, Problem)."""
        chosen = self.all()
        if component_variables:
            wanted: list[Variable] = []
            for entry in component_variables:
                name = entry["component"]["name"]
                variable_name = (entry.get("variable") or {}).get("name")
                wanted.extend(
                    v
                    for v in chosen
                    if v.component == name and (variable_name is None or v.name == variable_name)
                )
            chosen = wanted
        if criteria:
            names = {name for name in criteria if name in ("Available", "Enabled", "Active")}
            chosen = [variable for variable in chosen if variable.name in names] if names else []
        return chosen
