"""`pos-app sandbox`: serve the sandbox over real HTTP with uvicorn.

The first line printed is the URL, so a parent process (the demo mode, the
tests) can start `pos-app sandbox --port 0` and read where it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pos_app.sandbox.engine import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_SUB_ACCOUNT,
    SandboxConfig,
)
from pos_app.sandbox.fleet import Scenario, load_scenario

if TYPE_CHECKING:  # the web server loads only when serving, not for `build_parser`
    import uvicorn


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The `sandbox` subcommand's options (also used by `pos-app sandbox`)."""
    parser = parser or argparse.ArgumentParser(
        prog="pos-app sandbox", description="Serve a local JustiFi-compatible sandbox."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8765, help="port; 0 picks a free one")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="simulated seconds per real second (timeouts come sooner)",
    )
    parser.add_argument("--scenario", type=Path, help="TOML file describing another fleet")
    parser.add_argument("--state", type=Path, help="SQLite file keeping state across restarts")
    parser.add_argument("--client-id", default=DEMO_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEMO_CLIENT_SECRET)
    parser.add_argument("--sub-account", default=DEMO_SUB_ACCOUNT)
    parser.add_argument(
        "--token-ttl", type=float, default=24 * 3600.0, help="token lifetime in simulated seconds"
    )
    parser.add_argument("--log-level", default="warning")
    return parser


def config_from_args(args: argparse.Namespace) -> SandboxConfig:
    """A SandboxConfig from parsed options; ValueError on a bad scenario."""
    if not (math.isfinite(args.time_scale) and args.time_scale > 0):
        raise ValueError("--time-scale must be a positive number")
    scenario = load_scenario(args.scenario) if args.scenario else Scenario()
    return SandboxConfig(
        client_id=args.client_id,
        client_secret=args.client_secret,
        sub_account=args.sub_account,
        token_ttl=args.token_ttl,
        time_scale=args.time_scale,
        scenario=scenario,
        state_path=args.state,
    )


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 lets the OS choose."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on such sockets, and
    # without it Nagle's algorithm adds ~40 ms to every small answer.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def url_of(sock: socket.socket) -> str:
    """The http URL a bound socket serves."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


REOPEN_ATTEMPTS = 100


def _refuser(server: uvicorn.Server, sock: socket.socket) -> Callable[[float], Awaitable[None]]:
    """Stop accepting connections for a while, then listen on the same port again.

    The listening socket is closed (new connections are refused by the
    kernel, as on a closed port) and idle keep-alive connections are closed
    too, so a pooled client really has to connect again. Connections busy
    with a request finish it, then close.
    """
    host, port = sock.getsockname()[:2]

    async def refuse(seconds: float) -> None:
        loop = asyncio.get_running_loop()
        listening = list(server.servers)
        if not listening:
            return
        factory = listening[0]._protocol_factory  # type: ignore[attr-defined]
        for listener in listening:
            listener.close()
        for connection in list(server.server_state.connections):
            connection.shutdown()
        await asyncio.sleep(seconds)
        for _ in range(REOPEN_ATTEMPTS):  # the port may still be held for a moment
            try:
                fresh = bind(host, port)
                break
            except OSError:
                await asyncio.sleep(0.05)
        else:
            raise OSError(f"could not listen on port {port} again")
        server.servers = [await loop.create_server(factory, sock=fresh, backlog=128)]

    return refuse


def _server(config: SandboxConfig, log_level: str, sock: socket.socket) -> uvicorn.Server:
    import uvicorn

    from pos_app.sandbox.api import create_app

    app = create_app(config)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            http="h11",
            loop="asyncio",
            lifespan="on",
            log_level=log_level,
            access_log=False,
            timeout_graceful_shutdown=1,
        )
    )
    app.state.runtime.refuse = _refuser(server, sock)
    return server


@contextlib.asynccontextmanager
async def serving(
    config: SandboxConfig, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[str]:
    """Run the sandbox inside the current event loop (tests without Qt); yields its URL."""
    sock = bind(host, port)
    server = _server(config, "warning", sock)
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield url_of(sock)
    finally:
        server.should_exit = True
        await task
        sock.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `pos-app sandbox`."""
    args = build_parser().parse_args(argv)
    return run(args)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; 3 on bad options."""
    try:
        config = config_from_args(args)
        sock = bind(args.host, args.port)
    except (ValueError, OSError) as exc:
        print(f"pos-app sandbox: {exc}", file=sys.stderr)
        return 3
    print(url_of(sock), flush=True)
    print(f"client id:     {config.client_id}", flush=True)
    print(f"client secret: {config.client_secret}", flush=True)
    print(f"sub account:   {config.sub_account}", flush=True)
    print(f"time scale:    {config.start_scale:g}", flush=True)
    if config.state_path:
        print(f"state file:    {config.state_path}", flush=True)
    server = _server(config, args.log_level, sock)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(server.serve(sockets=[sock]))
    return 0
