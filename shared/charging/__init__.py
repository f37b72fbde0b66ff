"""Version-neutral services, one module per OCPP functional block; the OCPP version modules call them."""
