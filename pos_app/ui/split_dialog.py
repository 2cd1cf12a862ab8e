"""Split: the amount of the sale's next part, and whether it is paid by card or in cash.

The amount starts at what is left to pay; the cashier types the part (digits
fill from the cents) and presses "By card" (the part goes to the chosen
terminal) or "In cash" (the tender dialog opens with that much handed over).
A card part the terminal cannot take (above the balance, under JustiFi's
minimum) is refused here with the domain's sentence, before anything is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from pos_app.domain.money import Money
from pos_app.domain.tender import TenderKind, card_part_error
from pos_app.ui.amount_entry import AmountEntry
from pos_app.ui.controls import touch_button
from pos_app.ui.tasks import accepted, finished_result
from pos_app.ui.text import till as text

__all__ = ["SplitChoice", "SplitDialog"]

_ENTER_KEYS: Final = frozenset({Qt.Key.Key_Return, Qt.Key.Key_Enter})


@dataclass(frozen=True)
class SplitChoice:
    """The next part: how much, and how it is paid."""

    kind: TenderKind
    amount_cents: int


class SplitDialog(QDialog):
    """Asks the next part's amount and tender (`ask`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("splitDialog")
        self.setWindowTitle(text.SPLIT_TITLE)
        self.setAccessibleName(text.SPLIT_TITLE)
        self.setModal(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._balance = 0
        self._kind = TenderKind.CARD
        self.prompt = QLabel("", self)
        self.prompt.setObjectName("splitPromptLabel")
        self.prompt.setWordWrap(True)
        self.entry = AmountEntry(self)
        self.entry.add_button.hide()
        self.entry.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for key in self.entry.findChildren(QPushButton):
            key.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            key.setAutoDefault(False)
        self.entry.amount_changed.connect(self._on_entry_amount_changed)
        self.problem = QLabel("", self)
        self.problem.setObjectName("splitProblemLabel")
        self.problem.setWordWrap(True)
        self.card_button = touch_button(self, "splitCardButton", text.SPLIT_BY_CARD)
        self.card_button.clicked.connect(lambda: self.choose(TenderKind.CARD))
        self.cash_button = touch_button(self, "splitCashButton", text.SPLIT_BY_CASH)
        self.cash_button.clicked.connect(lambda: self.choose(TenderKind.CASH))
        back = touch_button(self, "splitBackButton", text.SPLIT_CANCEL)
        back.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(back)
        buttons.addStretch(1)
        buttons.addWidget(self.cash_button)
        buttons.addWidget(self.card_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.prompt)
        layout.addWidget(self.entry)
        layout.addWidget(self.problem)
        layout.addLayout(buttons)

    @property
    def amount_cents(self) -> int:
        """The part's amount as typed."""
        return self.entry.cents

    def prepare(self, balance_cents: int, *, cash_allowed: bool = True) -> None:
        """A fresh question for a sale with `balance_cents` left (the amount starts there)."""
        self._balance = balance_cents
        self.prompt.setText(text.SPLIT_PROMPT.format(balance=Money(balance_cents).format()))
        self.entry.set_maximum_cents(max(balance_cents, 1))
        self.entry.clear()
        if balance_cents > 0:
            self.entry.type_digits(str(balance_cents))
        self.cash_button.setVisible(cash_allowed)
        self._on_entry_amount_changed(self.amount_cents)
        self.setFocus()

    def choose(self, kind: TenderKind) -> None:
        """Pay the part by `kind` (a card part the terminal cannot take is refused)."""
        if kind is TenderKind.CARD:
            problem = card_part_error(self._balance, self.amount_cents)
            if problem is not None:
                self.problem.setText(problem)
                return
        elif self.amount_cents <= 0:
            return
        self._kind = kind
        self.accept()

    async def ask(self, balance_cents: int, *, cash_allowed: bool = True) -> SplitChoice | None:
        """Open and wait: the part chosen, or None if the cashier went back."""
        self.prepare(balance_cents, cash_allowed=cash_allowed)
        result = await finished_result(self)
        return SplitChoice(self._kind, self.amount_cents) if accepted(result) else None

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in _ENTER_KEYS:
            self.choose(TenderKind.CARD)
            event.accept()
            return
        if event.key() != Qt.Key.Key_Escape and self.entry.handle_key(event):
            event.accept()
            return
        super().keyPressEvent(event)

    def _on_entry_amount_changed(self, cents: int) -> None:
        self.problem.setText("")
        self.card_button.setEnabled(cents > 0)
        self.cash_button.setEnabled(cents > 0)
