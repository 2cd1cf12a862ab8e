"""The history window's detail pane: one sale, its refunds, its steps and its audit trail.

A row of a sale rung up as a ticket (a card part, a cash part, a refund of
either) also shows the whole sale: its lines, each tender part with what went
back from it, and every cash refund and card refund or void, by tender.

Rich text for a `QTextBrowser`, built from `HistoryService.details`; every value
is escaped (descriptions and JustiFi's answers are not ours).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from pos_app.domain.money import Money
from pos_app.domain.tender import TenderKind, TenderPart
from pos_app.domain.texts import card_text
from pos_app.domain.tickets import CashMovement
from pos_app.services.audit_log import AuditEntry
from pos_app.services.history import CASH_KINDS, SaleDetails, TicketSale
from pos_app.services.ports import Operation
from pos_app.ui.text import history as text

__all__ = ["details_html"]


def details_html(
    details: SaleDetails,
    *,
    loading: bool = False,
    store_loading: bool = False,
    note: str | None = None,
) -> str:
    """The detail pane for one sale (`loading` while JustiFi is still being asked,
    `store_loading` while the store is; `note`: a sentence about the store)."""
    row = details.row
    f = text.DETAIL_FIELDS
    title = text.DETAIL_TITLE.format(
        kind=text.KINDS.get(row.kind, row.kind),
        amount=Money(row.amount_cents).format(),
        status=text.STATUSES.get(row.status, row.status),
    )
    pairs: list[tuple[str, str | None]] = [
        (f["time"], row.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")),
        (f["lane"], row.lane or text.OTHER_LANE),
        (f["terminal"], row.terminal_id),
        (f["served_by"], row.served_by),
        (f["approved_by"], row.approved_by),
        (f["card"], card_text(row.card_brand, row.card_last4) if row.card_last4 else None),
        (f["description"], row.description),
        (f["operation"], None if row.is_remote or row.is_cash else row.id),
        (f["movement"], row.id if row.is_cash else None),
        (f["sale"], row.sale_id),
        (f["payment"], row.payment_id),
        (f["refund"], row.refund_id),
        (f["ticket"], row.ticket_id),
    ]
    payment = details.payment
    if payment is not None:
        refunded = payment.amount_cents - payment.refundable_cents
        pairs.append((f["refunded"], Money(max(refunded, 0)).format()))
        pairs.append((f["refundable"], Money(payment.refundable_cents).format()))
    parts = [f"<h3>{html.escape(title)}</h3><table cellpadding='2'>"]
    for label, value in pairs:
        if value:
            parts.append(
                f"<tr><td><b>{html.escape(label)}</b></td><td>{html.escape(value)}</td></tr>"
            )
    parts.append("</table>")
    if loading:
        parts.append(f"<p><i>{html.escape(text.DETAIL_LOADING)}</i></p>")
    if store_loading:
        parts.append(f"<p><i>{html.escape(text.DETAIL_STORE_LOADING)}</i></p>")
    if note:
        parts.append(f"<p style='color:#b91c1c'>{html.escape(note)}</p>")
    if details.payment_error:
        error = text.DETAIL_PAYMENT_ERROR.format(error=details.payment_error)
        parts.append(f"<p style='color:#b91c1c'>{html.escape(error)}</p>")
    if details.sale is not None:
        parts.append(_sale_html(details.sale))
    if details.refunds:
        parts.append(_section(text.DETAIL_REFUNDS, [_refund_line(op) for op in details.refunds]))
    if details.entries:
        steps = [
            f"{e.at.astimezone():%H:%M:%S} "
            + text.STEPS.get(e.status, text.STATUSES.get(e.status, e.status))
            + (f" ({e.detail})" if e.detail else "")
            for e in details.entries
        ]
        parts.append(_section(text.DETAIL_STEPS, steps))
    if not loading:
        parts.append(_section(text.DETAIL_AUDIT, [_audit_line(entry) for entry in details.audit]))
    return "".join(parts)


def _sale_html(sale: TicketSale) -> str:
    """The whole sale: its lines and totals, its tender parts, what went back by tender."""
    ticket = sale.ticket
    title = text.DETAIL_SALE.format(
        total=Money(ticket.total_cents).format(),
        status=text.SALE_STATUSES.get(ticket.status.value, ticket.status.value),
    )
    lines = []
    for line in ticket.lines:
        values = {
            "quantity": line.quantity,
            "name": line.name,
            "amount": Money(line.net_cents).format(),
            "discount": Money(line.discount_cents).format(),
            "reason": f": {line.discount_reason}" if line.discount_reason else "",
        }
        template = text.DETAIL_SALE_LINE_DISCOUNT if line.discount_cents else text.DETAIL_SALE_LINE
        lines.append(template.format(**values))
    if ticket.sale_discount_cents:
        reason = ticket.sale_discount_reason
        lines.append(
            text.DETAIL_SALE_DISCOUNT.format(
                amount=Money(ticket.sale_discount_cents).format(),
                reason=f" ({reason})" if reason else "",
            )
        )
    if ticket.tax_cents:
        lines.append(text.DETAIL_SALE_TAX.format(amount=Money(ticket.tax_cents).format()))
    back = [_cash_back_line(m) for m in sale.cash_back]
    back += [_card_back_line(op) for op in sale.card_back]
    return (
        _section(title, lines)
        + _section(text.DETAIL_TENDERS, [_tender_line(p) for p in sale.payments.parts])
        + _section(text.DETAIL_GIVEN_BACK, back)
    )


def _tender_line(part: TenderPart) -> str:
    amount = Money(part.amount_cents).format()
    if part.kind is TenderKind.CASH and part.tendered_cents is not None:
        line = text.DETAIL_TENDER_CASH.format(
            amount=amount,
            tendered=Money(part.tendered_cents).format(),
            change=Money(part.change_cents or 0).format(),
        )
    else:
        line = text.DETAIL_TENDER.format(label=part.label, amount=amount)
    if part.refunded_cents:
        line = text.DETAIL_TENDER_BACK.format(
            line=line,
            refunded=Money(part.refunded_cents).format(),
            left=Money(part.refundable_cents).format(),
        )
    return line


def _cash_back_line(movement: CashMovement) -> str:
    kind = CASH_KINDS[movement.kind]
    return text.DETAIL_BACK_CASH.format(
        at=f"{movement.at.astimezone():%Y-%m-%d %H:%M}",
        kind=text.KINDS.get(kind, kind),
        amount=Money(movement.amount_cents).format(),
        who=movement.approved_by or movement.person or "-",
    )


def _card_back_line(op: Operation) -> str:
    return text.DETAIL_BACK_CARD.format(
        at=f"{op.created_at.astimezone():%Y-%m-%d %H:%M}",
        kind=text.KINDS.get(op.kind.value, op.kind.value),
        amount=Money(op.amount_cents).format(),
        card=card_text(op.card_brand, op.card_last4) if op.card_last4 else "-",
        status=text.STATUSES.get(op.status, op.status),
    )


def _refund_line(op: Operation) -> str:
    label = text.KINDS.get(op.kind.value, op.kind.value)
    status = text.STATUSES.get(op.status, op.status)
    amount = Money(op.amount_cents).format()
    return f"{op.created_at.astimezone():%Y-%m-%d %H:%M} {label} {amount} {status}"


def _audit_line(entry: AuditEntry) -> str:
    return text.AUDIT_LINE.format(
        at=f"{entry.at.astimezone():%Y-%m-%d %H:%M}",
        who=entry.who,
        lane=entry.lane,
        action=entry.action,
        outcome=entry.outcome,
    )


def _section(title: str, lines: Sequence[str]) -> str:
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines) or (
        f"<li>{html.escape(text.DETAIL_NONE)}</li>"
    )
    return f"<h4>{html.escape(title)}</h4><ul>{items}</ul>"
