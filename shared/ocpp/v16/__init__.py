"""OCPP 1.6J: the station-facing handlers and the calls the CSMS may send."""
