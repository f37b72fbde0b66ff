"""OCPP-J: a version-neutral core (frames, dispatch, routing, outbound calls) beside one folder per OCPP
version (``v16/``), each registered once in ``protocols.py``."""
