"""`sokbo serve [--host] [--port] [--token]`: the read-only status web application."""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from pathlib import Path

from sokbo.config import Config
from sokbo.exitcodes import EXIT_OK, EXIT_USAGE
from sokbo.schedule import jobs

TOKEN_ENV = "SOKBO_SERVE_TOKEN"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(config: Config, path: Path, args: argparse.Namespace) -> int:
    """Serve until Ctrl-C; refuse a non-loopback bind without a token."""
    token = args.token or os.environ.get(TOKEN_ENV) or None
    if not is_loopback(args.host) and not token:
        print(
            f"sokbo serve: refusing to bind {args.host} without a token "
            f"(give --token or set {TOKEN_ENV})",
            file=sys.stderr,
        )
        return EXIT_USAGE
    import uvicorn

    from sokbo.serve.app import create_app

    app = create_app(config, path, jobs, token)
    print(f"sokbo serve: http://{args.host}:{args.port}/", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return EXIT_OK
