"""What operators do: register stations and sites, manage ID tokens, read sessions, send commands.

Every function takes the caller's Principal first and touches only that tenant's records; it returns
domain objects (the API maps them to its views). Whether the caller's role may do it at all is
decided before, by the route's declared permission (shared/api/access.py).
"""
