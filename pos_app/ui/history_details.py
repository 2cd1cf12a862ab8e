"""The history window's detail pane: one sale, its refunds, its steps and its audit trail.

Rich text for a `QTextBrowser`, built from `HistoryService.details`; every value
is escaped (descriptions and JustiFi's answers are not ours).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from pos_app.domain.money import Money
from pos_app.domain.texts import card_text
from pos_app.services.audit_log import AuditEntry
from pos_app.services.history import SaleDetails
from pos_app.services.ports import Operation
from pos_app.ui.text import history as text

__all__ = ["details_html"]


def details_html(details: SaleDetails, *, loading: bool = False) -> str:
    """The detail pane for one sale (`loading` while JustiFi is still being asked)."""
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
        (f["operation"], None if row.is_remote else row.id),
        (f["sale"], row.sale_id),
        (f["payment"], row.payment_id),
        (f["refund"], row.refund_id),
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
    if details.payment_error:
        error = text.DETAIL_PAYMENT_ERROR.format(error=details.payment_error)
        parts.append(f"<p style='color:#b91c1c'>{html.escape(error)}</p>")
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
