"""OCPP-J: a version-neutral core (frames, routing, outbound calls) beside one module per OCPP version."""

import ocpp.messages

# The ocpp package validates payloads in a thread pool by default; inside a Lambda invocation that only
# adds a thread hop per frame.
ocpp.messages.ASYNC_VALIDATION = False
