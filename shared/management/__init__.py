"""What operators do: register stations and sites, manage ID tokens, read sessions, send commands.

Every function takes the caller's Principal first and touches only that tenant's records.
"""
