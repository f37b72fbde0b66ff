"""Firmware campaigns and diagnostics as Standard workflows (they wait: for windows, stations, uploads).

``firmware_campaign`` (one execution per campaign, started by ``POST .../start``): Advance, then wait
``waitSeconds`` and advance again until the campaign is completed, halted or cancelled. Advance starts
stations' updates as waves, slots, windows and the failure threshold allow.

``firmware_station_update`` (one execution per target station): Prepare decides whether UpdateFirmware
can go now (mapped to the station's protocol) or must wait (offline, charging, busy), and records the
station's end when its deadline passes; SendUpdate is the outbound pipeline's token task
(``command_sender``); AwaitInstallation parks a task token that the station's Installed (or failure)
notification, or a boot into the new version, completes, with the station's remaining time as its
``TimeoutSecondsPath``: no token outlives its deadline. Finish records installed, failed, offline or
skipped.

``station_diagnostics`` (one per ``POST /v1/stations/{id}/diagnostics``): Prepare (presigned upload URL,
the station's GetDiagnostics/GetLog), Send, Answered (the file the station will upload, if any),
AwaitUpload (token completed by Uploaded/UploadFailed, deadline as its timeout), Finish (checks the file
is in the bucket).

Every task state hands its Lambda ``{"task": ..., "state.$": "$"}`` (tasks in shared/firmware/tasks.py).
"""

from __future__ import annotations

from typing import Any

from shared.catalog import COMMAND_SENDER, DIAGNOSTICS_TASKS, FIRMWARE_TASKS, FunctionSpec
from shared.workflows.definitions import WorkflowSpec, invoke_function, retry_lambda_service_errors

SEND_TIMEOUT_SECONDS = 900
"""A safety net only: the command sweep records the call's timeout (COMMAND_TIMEOUT_SECONDS, checked every
minute) long before, resuming the task with Command.Timeout."""
_NOT_ANSWERED = ["Command.Offline", "Command.Timeout", "States.Timeout"]
_TASK_RETRY = {
    "ErrorEquals": ["States.TaskFailed"],
    "IntervalSeconds": 2,
    "MaxAttempts": 3,
    "BackoffRate": 2.0,
}


def _task(
    function: FunctionSpec, task: str, *, next_state: str | None, result_path: str | None, **options: Any
) -> dict[str, Any]:
    return invoke_function(
        function,
        payload={"task": task, "state.$": "$"},
        next_state=next_state,
        result_path=result_path,
        retry=[retry_lambda_service_errors(), _TASK_RETRY],
        **options,
    )


def _token_task(function: FunctionSpec, task: str, **options: Any) -> dict[str, Any]:
    return invoke_function(
        function,
        payload={"task": task, "taskToken.$": "$$.Task.Token", "state.$": "$"},
        wait_for_task_token=True,
        **options,
    )


def _send_command(next_state: str, catch: list[dict[str, Any]]) -> dict[str, Any]:
    return invoke_function(
        COMMAND_SENDER,
        payload={
            "taskToken.$": "$$.Task.Token",
            "tenantId.$": "$.tenantId",
            "stationId.$": "$.stationId",
            "action.$": "$.prepared.call.action",
            "payload.$": "$.prepared.call.payload",
        },
        wait_for_task_token=True,
        result_path="$.sent",
        timeout_seconds=SEND_TIMEOUT_SECONDS,
        next_state=next_state,
        catch=catch,
    )


FIRMWARE_CAMPAIGN = WorkflowSpec(
    name="firmware_campaign",
    description="A firmware campaign's driver: starts stations' updates in waves until the campaign ends",
    definition={
        "Comment": "Advance; wait; advance again until completed, halted or cancelled",
        "StartAt": "Advance",
        "States": {
            "Advance": invoke_function(
                FIRMWARE_TASKS,
                payload={"task": "advance", "state.$": "$"},
                retry=[retry_lambda_service_errors(), _TASK_RETRY],
                catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "DriverFailed"}],
                next_state="Decide",
            ),
            "Decide": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.decision", "StringEquals": "wait", "Next": "Wait"}],
                "Default": "Done",
            },
            "Wait": {"Type": "Wait", "SecondsPath": "$.waitSeconds", "Next": "Advance"},
            "DriverFailed": {
                "Type": "Fail",
                "Error": "Campaign.DriverFailed",
                "Cause": "advancing the campaign failed repeatedly; POST .../resume starts no new driver",
            },
            "Done": {"Type": "Succeed"},
        },
    },
    invokes=(FIRMWARE_TASKS,),
    express=False,
    timeout_seconds=365 * 24 * 3600,
)

FIRMWARE_STATION_UPDATE = WorkflowSpec(
    name="firmware_station_update",
    description="One station's firmware update: UpdateFirmware, then wait for Installed until its deadline",
    definition={
        "StartAt": "Init",
        "States": {
            "Init": {
                "Type": "Pass",
                "Parameters": {
                    "tenantId.$": "$.tenantId",
                    "campaignId.$": "$.campaignId",
                    "stationId.$": "$.stationId",
                    "prepared": None,
                    "sent": None,
                    "installation": None,
                    "error": None,
                },
                "Next": "Prepare",
            },
            "Prepare": _task(
                FIRMWARE_TASKS,
                "prepare",
                next_state="Route",
                result_path="$.prepared",
                catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Finish"}],
            ),
            "Route": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.prepared.next", "StringEquals": "send", "Next": "SendUpdate"},
                    {"Variable": "$.prepared.next", "StringEquals": "wait", "Next": "WaitToRetry"},
                ],
                "Default": "Done",
            },
            "WaitToRetry": {"Type": "Wait", "SecondsPath": "$.prepared.waitSeconds", "Next": "Prepare"},
            "SendUpdate": _send_command(
                "Sent",
                catch=[
                    {"ErrorEquals": _NOT_ANSWERED, "ResultPath": "$.error", "Next": "Prepare"},
                    {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Finish"},
                ],
            ),
            "Sent": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.sent.status", "StringEquals": "accepted", "Next": "AwaitInstallation"}
                ],
                "Default": "Finish",
            },
            "AwaitInstallation": {
                **_token_task(
                    FIRMWARE_TASKS,
                    "await",
                    result_path="$.installation",
                    next_state="Finish",
                    catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.installation", "Next": "Finish"}],
                ),
                "TimeoutSecondsPath": "$.prepared.installTimeoutSeconds",
            },
            "Finish": _task(FIRMWARE_TASKS, "finish", next_state=None, result_path="$.finished"),
            "Done": {"Type": "Succeed"},
        },
    },
    invokes=(FIRMWARE_TASKS, COMMAND_SENDER),
    express=False,
    timeout_seconds=30 * 24 * 3600,
)

STATION_DIAGNOSTICS = WorkflowSpec(
    name="station_diagnostics",
    description="A diagnostics request: GetDiagnostics/GetLog to a presigned URL, then wait for the upload",
    definition={
        "StartAt": "Init",
        "States": {
            "Init": {
                "Type": "Pass",
                "Parameters": {
                    "tenantId.$": "$.tenantId",
                    "stationId.$": "$.stationId",
                    "registrationId.$": "$.registrationId",
                    "requestId.$": "$.requestId",
                    "requestedAt.$": "$.requestedAt",
                    "prepared": None,
                    "sent": None,
                    "answered": None,
                    "upload": None,
                    "error": None,
                },
                "Next": "Prepare",
            },
            "Prepare": _task(
                DIAGNOSTICS_TASKS,
                "prepare",
                next_state="Route",
                result_path="$.prepared",
                catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Finish"}],
            ),
            "Route": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.prepared.next", "StringEquals": "send", "Next": "Send"}],
                "Default": "Done",
            },
            "Send": _send_command(
                "Answered", catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Finish"}]
            ),
            "Answered": _task(
                DIAGNOSTICS_TASKS,
                "answered",
                next_state="Upload",
                result_path="$.answered",
                catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Finish"}],
            ),
            "Upload": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.answered.next", "StringEquals": "await", "Next": "AwaitUpload"}],
                "Default": "Finish",
            },
            "AwaitUpload": {
                **_token_task(
                    DIAGNOSTICS_TASKS,
                    "await",
                    result_path="$.upload",
                    next_state="Finish",
                    catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.upload", "Next": "Finish"}],
                ),
                "TimeoutSecondsPath": "$.prepared.timeoutSeconds",
            },
            "Finish": _task(DIAGNOSTICS_TASKS, "finish", next_state=None, result_path="$.finished"),
            "Done": {"Type": "Succeed"},
        },
    },
    invokes=(DIAGNOSTICS_TASKS, COMMAND_SENDER),
    express=False,
    timeout_seconds=7 * 24 * 3600,
)

FIRMWARE_WORKFLOWS: tuple[WorkflowSpec, ...] = (
    FIRMWARE_CAMPAIGN,
    FIRMWARE_STATION_UPDATE,
    STATION_DIAGNOSTICS,
)
