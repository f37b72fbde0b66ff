"""The local platform: API Gateway (WebSocket, HTTP, @connections) emulated in front of the very
handlers the cloud runs, with DynamoDB and EventBridge in an embedded moto server."""

from tools.local_platform.config import PlatformConfig
from tools.local_platform.moto_patches import serialize_dynamodb_writes
from tools.local_platform.platform import LocalPlatform, PlatformEndpoints

serialize_dynamodb_writes()

__all__ = ["LocalPlatform", "PlatformConfig", "PlatformEndpoints"]
