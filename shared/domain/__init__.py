"""Protocol-neutral domain: stations, EVSEs, connectors, sessions, ID tokens, commands, tenants."""
