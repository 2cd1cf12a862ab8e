"""The sandbox's HTTP face: JustiFi's routes and the `/_sandbox/` control API as an app.

`create_app` assembles the routes (`routes`), the per-process state
(`runtime.Runtime`) and the app's life: a ticker that lets simulated
customers act and devices time out even when nobody polls, and the event
publisher, stopped with the app.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException

from pos_app.sandbox.accounts import SandboxConfig
from pos_app.sandbox.engine import Sandbox
from pos_app.sandbox.ledger import Event
from pos_app.sandbox.responses import http_error, quiet_deliberate_drops
from pos_app.sandbox.routes import all_routes
from pos_app.sandbox.runtime import Runtime

TICK_SECONDS = 0.02


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """The sandbox as an ASGI app (state in this process)."""
    quiet_deliberate_drops()
    runtime = Runtime(Sandbox(config or SandboxConfig()))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()

        def publish(event: Event) -> None:
            runtime.events.submit(event.payload(runtime.sandbox.config.platform_account))

        runtime.sandbox.on_event = publish

        async def ticker() -> None:
            # Simulated customers act and devices time out even when nobody polls.
            while True:
                runtime.sandbox.tick()
                await asyncio.sleep(TICK_SECONDS)

        task = loop.create_task(ticker())
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await runtime.events.aclose()
            runtime.sandbox.store.close()

    app = Starlette(
        routes=all_routes(), lifespan=lifespan, exception_handlers={HTTPException: http_error}
    )
    app.state.runtime = runtime
    return app
