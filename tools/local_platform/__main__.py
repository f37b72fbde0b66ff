"""``csms-local``: start the local platform, or mint an operator token."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from tools.local_platform.config import DEFAULT_GATEWAY_PORT, DEFAULT_MOTO_PORT, PlatformConfig
from tools.local_platform.data_retention import DEFAULT_BUDGET_BYTES
from tools.local_platform.operator_tokens import ROLES, TokenIssuer, load_or_create_secret
from tools.local_platform.platform import LocalPlatform, PlatformEndpoints


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="csms-local", description=__doc__)
    parser.add_argument("--port", type=int, default=DEFAULT_GATEWAY_PORT, help="gateway port (0: any free)")
    parser.add_argument("--moto-port", type=int, default=DEFAULT_MOTO_PORT, help="moto port (0: any free)")
    parser.add_argument("--idle-timeout", type=float, default=600.0, help="seconds without data frames")
    parser.add_argument("--max-connection-seconds", type=float, default=7200.0)
    parser.add_argument("--state-dir", type=Path, default=Path(".local"), help="JWT secret and demo token")
    parser.add_argument("--log-level", default="INFO", help="the platform's and every function's")
    parser.add_argument(
        "--isolation",
        choices=("process", "thread"),
        default="process",
        help="process: one worker process per function, with its own environment (as in Lambda)",
    )
    parser.add_argument(
        "--history-budget-mb",
        type=float,
        default=DEFAULT_BUDGET_BYTES / 2**20,
        help="MB of items kept in the history tables (meter values, messages, commands) before the oldest go",
    )
    parser.add_argument(
        "--function-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra environment variable for every function (repeatable)",
    )
    tokens = parser.add_argument_group("tokens")
    tokens.add_argument("--issue-token", action="store_true", help="print an operator token and exit")
    tokens.add_argument("--tenant", default="demo")
    tokens.add_argument("--roles", default="admin", help=f"comma-separated: {', '.join(ROLES)}")
    tokens.add_argument("--account", help="account_id claim: the billing account a driver acts for")
    tokens.add_argument("--ttl-hours", type=float, default=12.0)
    return parser


def banner(endpoints: PlatformEndpoints, config: PlatformConfig, token: str) -> str:
    return f"""
CSMS local platform is running (Ctrl-C stops it)

  Dashboard (signed in) {endpoints.gateway_url}/#token={token}

  Chargers (OCPP-J)     {endpoints.websocket_url}/<stationId>      subprotocol ocpp1.6
  Operator API          {endpoints.http_api_url}/...    (OpenAPI: {endpoints.http_api_url}/openapi.json)
  @connections API      {endpoints.management_api_url}/@connections/<connectionId>
  DynamoDB/EventBridge  {endpoints.moto_url or "not started"}   (moto, in memory, lost on exit)

Emulated like API Gateway: the REQUEST authorizer and $connect before the upgrade (401/403/4xx refuse
it), the Sec-WebSocket-Protocol chosen by $connect, the $connect/$default/$disconnect event shapes, the
$default route response, 32 KB frames / 128 KB messages (close 1009),
idle timeout {config.idle_timeout_seconds:.0f} s, connection lifetime {config.max_connection_seconds:.0f} s,
@connections with GoneException, and an HTTP API (payload 2.0) with a JWT authorizer
(HS256, secret in {config.state_dir}/).
Like Lambda: one {config.isolation} per function with only its catalog environment and grants
(a missing grant is AccessDenied), cold starts, timeouts; EventBridge rules and rate()/cron() schedules
from shared/catalog.py, Step Functions workflows from shared/workflows (moto's interpreter).
Not emulated: TLS, CloudFront, SigV4 verification, resource policies and IAM beyond the catalog's grants,
throttling and quotas other than the above, Lambda memory and concurrency limits.

Operator token (tenant "demo", role admin), also in {config.state_dir}/operator-token:
{token}

Try:  curl -H "Authorization: Bearer $(cat {config.state_dir}/operator-token)" \\
           {endpoints.http_api_url}/stations
      csms-sim --url {endpoints.websocket_url} --count 1
"""


async def _serve(config: PlatformConfig) -> None:
    platform = LocalPlatform(config)
    endpoints = await platform.start()
    print(banner(endpoints, config, platform.demo_token), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        print("stopping…", flush=True)
        started = loop.time()
        await platform.stop()
        print(f"stopped in {loop.time() - started:.1f} s", flush=True)
        for name, stats in sorted(platform.runtime.stats.items()):
            print(f"  {name}: {stats.summary()}", flush=True)


def main(argv: list[str] | None = None) -> None:
    arguments = _parser().parse_args(argv)
    if os.environ.get("CSMS_SWITCH_INTERVAL"):
        sys.setswitchinterval(float(os.environ["CSMS_SWITCH_INTERVAL"]))
    logging.basicConfig(
        level=arguments.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # moto's request log would bury the banner and the handlers' own logs.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    if arguments.issue_token:
        issuer = TokenIssuer(load_or_create_secret(arguments.state_dir))
        roles = [role.strip() for role in arguments.roles.split(",") if role.strip()]
        account = {"account_id": arguments.account} if arguments.account else None
        ttl = int(arguments.ttl_hours * 3600)
        print(issuer.issue(arguments.tenant, roles, ttl_seconds=ttl, extra_claims=account))
        return
    extra = dict(item.split("=", 1) for item in arguments.function_env if "=" in item)
    config = PlatformConfig(
        gateway_port=arguments.port,
        moto_port=arguments.moto_port,
        idle_timeout_seconds=arguments.idle_timeout,
        max_connection_seconds=arguments.max_connection_seconds,
        state_dir=arguments.state_dir,
        isolation=arguments.isolation,
        function_log_level=arguments.log_level.upper(),
        function_environment=extra,
        history_budget_bytes=int(arguments.history_budget_mb * 2**20),
    )
    try:
        asyncio.run(_serve(config))
    except OSError as error:
        hint = "choose other ports with --port/--moto-port"
        raise SystemExit(f"csms-local: cannot start: {error} ({hint})") from None
    # Stopped: everything the platform started is closed. Leave without joining leftover threads (a
    # handler thread blocked on a socket would hold the interpreter's exit for its full timeout).
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
