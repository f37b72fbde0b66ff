"""Version-neutral services, one module per OCPP functional block; each protocol's station handler maps
its messages onto them (see shared/ocpp/<version>/station.py). They depend on the ports in
``shared.ports`` only."""
