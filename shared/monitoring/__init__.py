"""Fleet monitoring: alerts an operator acts on (a station offline past its reconnect grace, a faulted
connector, a failed firmware update, a boot loop, a security event), raised from domain events and a
minute sweep, published as ``AlertRaised`` on the bus and listed by the operator API."""
