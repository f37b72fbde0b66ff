"""What a station reports about itself, in one neutral shape: OCPP 2.0.1's device model (components,
variables, attributes, characteristics) and OCPP 1.6's configuration keys, which are variables without a
component.

A station's model is stored one variable per record (a full 2.0.1 inventory runs to thousands of variables,
far beyond one 400 KB DynamoDB item), keyed so that one component's variables read together.
"""

from __future__ import annotations

import json
from enum import StrEnum

from pydantic import Field

from shared.domain.base import DomainModel, UtcDatetime

ATTRIBUTE_TYPES = ("Actual", "Target", "MinSet", "MaxSet")
CONFIGURATION_KEY_SOURCES = frozenset({"GetConfiguration", "ChangeConfiguration"})


class Mutability(StrEnum):
    READ_ONLY = "ReadOnly"
    WRITE_ONLY = "WriteOnly"
    READ_WRITE = "ReadWrite"


class ComponentRef(DomainModel):
    name: str = Field(min_length=1, max_length=50)
    instance: str | None = Field(default=None, max_length=50)
    evse_id: int | None = Field(default=None, ge=0)
    connector_id: int | None = Field(default=None, ge=0)


class VariableRef(DomainModel):
    name: str = Field(min_length=1, max_length=500)
    """A 2.0.1 variable name, or a 1.6 configuration key (up to 50 characters there)."""
    instance: str | None = Field(default=None, max_length=50)


class VariableAttribute(DomainModel):
    type: str = "Actual"
    value: str | None = None
    mutability: Mutability | None = None
    persistent: bool | None = None
    constant: bool | None = None


class VariableCharacteristics(DomainModel):
    unit: str | None = None
    data_type: str
    min_limit: float | None = None
    max_limit: float | None = None
    values_list: str | None = None
    supports_monitoring: bool | None = None


class DeviceVariable(DomainModel):
    component: ComponentRef | None = None
    """None for an OCPP 1.6 configuration key."""
    variable: VariableRef
    attributes: list[VariableAttribute] = Field(default_factory=list)
    characteristics: VariableCharacteristics | None = None
    source: str
    """What told us: NotifyReport, GetVariables, SetVariables, GetConfiguration, ChangeConfiguration."""
    request_id: int | None = None
    """The report request whose parts carried it (NotifyReport)."""
    reported_at: UtcDatetime

    @property
    def key(self) -> str:
        return variable_key(self.component, self.variable)

    def attribute(self, attribute_type: str = "Actual") -> VariableAttribute | None:
        return next((attribute for attribute in self.attributes if attribute.type == attribute_type), None)


def component_prefix(component: ComponentRef | None) -> str:
    """The sort-key prefix of one component's variables (of every instance when ``instance`` is None and
    only a name is given). JSON keeps names with any character unambiguous."""
    if component is None:
        return "v#[null,"
    return "v#" + json.dumps([component.name], separators=(",", ":"))[:-1] + ","


def variable_key(component: ComponentRef | None, variable: VariableRef) -> str:
    parts = (
        [None, None, None, None]
        if component is None
        else [component.name, component.instance, component.evse_id, component.connector_id]
    )
    return "v#" + json.dumps([*parts, variable.name, variable.instance], separators=(",", ":"))


def with_attribute(variable: DeviceVariable, attribute: VariableAttribute) -> DeviceVariable:
    """The variable with one attribute replaced (its other attributes and characteristics kept)."""
    others = [existing for existing in variable.attributes if existing.type != attribute.type]
    kept = variable.attribute(attribute.type)
    merged = attribute
    if kept is not None:
        merged = VariableAttribute(
            type=attribute.type,
            value=attribute.value,
            mutability=attribute.mutability or kept.mutability,
            persistent=attribute.persistent if attribute.persistent is not None else kept.persistent,
            constant=attribute.constant if attribute.constant is not None else kept.constant,
        )
    return variable.model_copy(update={"attributes": [*others, merged]})


class ReportProgress(DomainModel):
    """A multi-part report (NotifyReport with ``tbc``): which parts arrived, whether all did. Parts are
    stored as they arrive (each variable is its own record, so the order they come in does not matter);
    the report is complete when the last part (tbc false) and every part before it are in."""

    request_id: int
    parts: list[int] = Field(default_factory=list)
    last_seq_no: int | None = None
    complete: bool = False
    variables: int = 0
    started_at: UtcDatetime
    completed_at: UtcDatetime | None = None


def is_complete(parts: set[int], last_seq_no: int | None) -> bool:
    return last_seq_no is not None and parts >= set(range(last_seq_no + 1))


class VariableQuery(DomainModel):
    """One variable to read: a 2.0.1 component/variable (and attribute), or a 1.6 key (no component)."""

    component: ComponentRef | None = None
    variable: VariableRef
    attribute_type: str | None = None


class VariableWrite(DomainModel):
    component: ComponentRef | None = None
    variable: VariableRef
    value: str = Field(max_length=1000)
    attribute_type: str | None = None
