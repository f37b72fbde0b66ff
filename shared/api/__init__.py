"""The operator HTTP API (v1): powertools routing, OpenAPI from the code, JSON errors in one place."""
