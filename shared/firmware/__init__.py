"""Remote device management: the firmware catalogue, OTA campaigns rolled out in waves, and diagnostics.

- ``models``: the catalogue entry, the campaign, each target station's state, a station's update in
  progress, diagnostics requests (pydantic, pure).
- ``status``: what a station's firmware and upload status notifications mean, in every protocol's words.
- ``rules``: waves, time windows, the failure threshold and what a campaign does next (pure).
- ``ports``: the storage, object-storage and workflow adapters the tasks need.
- ``tasks``: the Step Functions tasks of the campaign driver, the per-station update and diagnostics.

Workflows are declared in ``shared/workflows/firmware.py``; the station-facing half (status notifications
completing the waiting task tokens) is ``shared/charging/firmware.py``.
"""
