"""The local platform: API Gateway (WebSocket, HTTP, @connections) emulated in front of the very
handlers the cloud runs, with DynamoDB and EventBridge in an embedded moto server."""

from tools.local_platform.config import PlatformConfig
from tools.local_platform.platform import LocalPlatform, PlatformEndpoints

__all__ = ["LocalPlatform", "PlatformConfig", "PlatformEndpoints"]
