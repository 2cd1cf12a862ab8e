"""The sandbox's HTTP routes, one module per JustiFi resource plus the control API.

Every JustiFi route goes through `wrapper.justifi_route`; the control API's
through `control.control_route`. `all_routes()` lists them in the order
Starlette must try them.
"""

from __future__ import annotations

from starlette.routing import Route

from pos_app.sandbox.routes import checkouts, control, oauth, payment_intents, payments, terminals


def all_routes() -> list[Route]:
    """Every route of the app, JustiFi's first."""
    return [
        *oauth.ROUTES,
        *payment_intents.ROUTES,
        *checkouts.ROUTES,
        *terminals.ROUTES,
        *payments.ROUTES,
        *control.ROUTES,
    ]
