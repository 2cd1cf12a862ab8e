"""JustiFi's payments for a time window: every page of ``GET /v1/payments``.

`list_payments_between` follows the cursors of the documented list
(``created_after``, ``created_before``, ``limit`` up to 100, ``after_cursor``)
over the existing client. `JustifiPaymentsSource` implements the report's
`PaymentsSource` port with it, reducing each payment to the domain's
`JustifiPayment` (card brand and last four only).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from pos_app.domain.report import JustifiPayment
from pos_app.justifi.client import JustifiClient
from pos_app.justifi.errors import JustifiError, NotFound
from pos_app.justifi.gateway import guarded
from pos_app.justifi.models import Payment

__all__ = [
    "MAX_PAYMENT_PAGES",
    "JustifiPaymentsSource",
    "PaymentListIncomplete",
    "list_payments_between",
    "to_domain",
]

PAGE_SIZE: Final = 100  # the API's largest page
MAX_PAYMENT_PAGES: Final = 500  # 50,000 payments: far past a day at any counter


class PaymentListIncomplete(JustifiError):
    """The list did not end within the page limit, or its cursors went round in a circle.

    A report built on a partial list would show false differences: refuse it.
    """


async def list_payments_between(
    client: JustifiClient,
    created_after: datetime,
    created_before: datetime,
    *,
    page_size: int = PAGE_SIZE,
    max_pages: int = MAX_PAYMENT_PAGES,
) -> list[Payment]:
    """Every payment created in the window (JustiFi includes both ends), newest first.

    Raises `PaymentListIncomplete` rather than return part of the list.
    """
    payments: dict[str, Payment] = {}
    cursor: str | None = None
    seen: set[str] = set()
    for _ in range(max_pages):
        page = await client.list_payments(
            limit=page_size,
            after_cursor=cursor,
            created_after=created_after,
            created_before=created_before,
        )
        for payment in page.items:
            payments.setdefault(payment.id, payment)
        cursor = page.next_cursor
        if cursor is None:
            return list(payments.values())
        if cursor in seen:
            raise PaymentListIncomplete(
                "GET /v1/payments: the list's cursors repeat", code="payment_list_incomplete"
            )
        seen.add(cursor)
    raise PaymentListIncomplete(
        f"GET /v1/payments: more than {max_pages} pages in the window",
        code="payment_list_incomplete",
    )


def to_domain(payment: Payment) -> JustifiPayment:
    """A JustiFi payment as the report reads it."""
    amount = payment.amount or 0
    refunded = payment.amount_refunded
    if refunded is None:
        refunded = (
            amount - payment.amount_refundable
            if payment.amount_refundable is not None and payment.status != "canceled"
            else 0
        )
    brand, last4 = payment.brand_last4()
    return JustifiPayment(
        id=payment.id,
        amount_cents=amount,
        amount_refunded_cents=refunded,
        status=payment.status or "unknown",
        created_at=payment.created_at,
        card_brand=brand,
        card_last4=last4,
        sale_id=payment.payment_intent_id or payment.checkout_id,
        terminal_id=payment.terminal_id,
    )


class JustifiPaymentsSource:
    """The report's `PaymentsSource` on the JustiFi API."""

    def __init__(self, client: JustifiClient, *, max_pages: int = MAX_PAYMENT_PAGES) -> None:
        self.client = client
        self.max_pages = max_pages

    async def payments_between(
        self, created_after: datetime, created_before: datetime
    ) -> Sequence[JustifiPayment]:
        """Every payment created in the window; the port's errors on failure."""
        payments = await guarded(
            lambda: list_payments_between(
                self.client, created_after, created_before, max_pages=self.max_pages
            )
        )
        return [to_domain(payment) for payment in payments]

    async def payment(self, payment_id: str) -> JustifiPayment | None:
        """One payment, or None when JustiFi does not know it."""

        async def fetch() -> Payment | None:
            try:
                return await self.client.get_payment(payment_id)
            except NotFound:
                return None

        payment = await guarded(fetch)
        return None if payment is None else to_domain(payment)
