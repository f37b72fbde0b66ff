"""API Gateway Management API (@connections): how the platform sends frames to a charger."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from botocore.config import Config
from botocore.exceptions import ClientError

from shared.aws_clients import client
from shared.ports import SendFailedError, StationUnreachableError

if TYPE_CHECKING:
    from mypy_boto3_apigatewaymanagementapi import ApiGatewayManagementApiClient
else:
    ApiGatewayManagementApiClient = Any


@lru_cache(maxsize=4)
def management_api_client(endpoint: str) -> ApiGatewayManagementApiClient:
    """Always the stage's execute-api endpoint: the CloudFront or custom domain answer 403."""
    return client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint,
        config=Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5),
    )


class ConnectionGateway:
    def __init__(self, client: ApiGatewayManagementApiClient) -> None:
        self._client = client

    def post_frame(self, connection_id: str, frame: str) -> None:
        try:
            self._client.post_to_connection(ConnectionId=connection_id, Data=frame.encode())
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "Unknown")
            if code == "GoneException":
                raise StationUnreachableError(connection_id) from error
            raise SendFailedError(code, error.response.get("Error", {}).get("Message", "")) from error

    def close(self, connection_id: str) -> None:
        """Drops the socket; a connection already gone is fine."""
        try:
            self._client.delete_connection(ConnectionId=connection_id)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "GoneException":
                raise
