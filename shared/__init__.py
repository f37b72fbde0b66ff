"""The package every Lambda of the platform shares: domain, OCPP, storage and workflows."""
