"""Edges of the charger gateway: Management API adapter, event publisher, WebSocket lifecycle."""
