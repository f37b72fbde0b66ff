"""Edges of the charger gateway: the Management API adapter, the event publisher and the WebSocket lifecycle."""
