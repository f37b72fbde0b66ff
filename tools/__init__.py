"""Developer tools that run beside the platform: the local platform and the charger simulator.

Never bundled into a Lambda; they use the ``local`` extra (aiohttp, moto, pyjwt, websockets).
"""
