"""OCPP 1.6J: the station handler (station.py), the outbound mappers (mappers.py), the version's actions
and error spellings (actions.py), and its registry plug-in (plugin.py)."""
