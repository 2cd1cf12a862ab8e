"""Handlers every resource shares: one object by id, and the list of a kind."""

from __future__ import annotations

from typing import Any

from pos_app.sandbox.ledger import public
from pos_app.sandbox.paging import page
from pos_app.sandbox.responses import envelope
from pos_app.sandbox.routes.wrapper import Call, Handler


def list_of(kind: str) -> Handler:
    """GET a collection: the caller's objects of `kind`, newest first, paged."""

    def handler(call: Call) -> tuple[int, Any]:
        records = [public(r) for r in call.sandbox.visible(kind, call.sub_account)]
        return 200, page(call.request, records)

    return handler


def get_one(kind: str) -> Handler:
    """GET one object of `kind` by the path's id, in its envelope."""

    def handler(call: Call) -> tuple[int, Any]:
        return 200, envelope(kind, public(call.find(kind)))

    return handler
