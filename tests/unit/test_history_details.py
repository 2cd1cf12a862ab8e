"""The history window's detail pane: what it says about a sale, escaped."""

from __future__ import annotations

from datetime import UTC, datetime

from pos_app.services.history import HistoryRow, SaleDetails
from pos_app.ui.history_details import details_html
from pos_app.ui.text import history as text

AT = datetime(2026, 3, 14, 15, 4, tzinfo=UTC)


def remote_sale(**fields: object) -> HistoryRow:
    values: dict[str, object] = {
        "id": "py_remote",
        "kind": "charge",
        "amount_cents": 1500,
        "status": "approved",
        "created_at": AT,
        "lane": None,
        "card_brand": "visa",
        "card_last4": "4242",
        "payment_id": "py_remote",
    }
    values.update(fields)
    return HistoryRow(**values)  # type: ignore[arg-type]


def test_a_loading_sale_says_so_and_shows_its_fields() -> None:
    page = details_html(SaleDetails(remote_sale(), None), loading=True)
    assert "Sale of $15.00" in page
    assert "4242" in page
    assert "py_remote" in page
    assert text.DETAIL_LOADING in page
    assert text.DETAIL_AUDIT not in page  # the audit trail comes with the answer


def test_an_answer_lists_the_sections_and_escapes_what_is_not_ours() -> None:
    row = remote_sale(description="<b>Coffee & cake</b>")
    page = details_html(SaleDetails(row, None, payment_error="timed <out>"))
    assert "&lt;b&gt;Coffee &amp; cake&lt;/b&gt;" in page
    assert "<b>Coffee" not in page
    assert "timed &lt;out&gt;" in page
    assert text.DETAIL_LOADING not in page
    assert f"<h4>{text.DETAIL_AUDIT}</h4><ul><li>{text.DETAIL_NONE}</li></ul>" in page
