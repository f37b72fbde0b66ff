"""OCPP 2.0.1 (subprotocol ``ocpp2.0.1``), registered in ``shared/ocpp/protocols.py``."""
