"""The people who may sign in, as a column of big name buttons: tap a name, then the PIN."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QButtonGroup, QPushButton, QScrollArea, QVBoxLayout, QWidget

from pos_app.domain.staff import Person
from pos_app.ui.controls import MIN_TOUCH
from pos_app.ui.text import staff as text

__all__ = ["PeopleList"]

_ROW_HEIGHT = MIN_TOUCH + 12  # a name is tapped by someone in a hurry


class PeopleList(QScrollArea):
    """One checkable button per person (name and role); `chosen` says who is chosen
    (None once the chosen name is tapped again)."""

    chosen = Signal(object)  # Person | None

    def __init__(self, people: Sequence[Person], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("peopleList")
        self.setAccessibleName(text.PEOPLE_NAME)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(220)
        inner = QWidget(self)
        inner.setObjectName("peopleListInner")
        column = QVBoxLayout(inner)
        column.setSpacing(8)
        column.setContentsMargins(0, 0, 6, 0)
        self._group = QButtonGroup(self)
        self._group.setExclusive(False)  # so a second tap can unchoose
        self.buttons: dict[str, QPushButton] = {}
        self._people: dict[str, Person] = {}
        for person in people:
            column.addWidget(self._button(inner, person))
        column.addStretch(1)
        self.setWidget(inner)
        self._chosen: Person | None = None

    def _button(self, parent: QWidget, person: Person) -> QPushButton:
        role = text.ROLES[person.role]
        button = QPushButton(f"{person.name}\n{role}", parent)
        button.setObjectName("personButton")
        button.setProperty("person", person.name)
        locked = person.locked_until is not None
        template = text.PERSON_LOCKED_BUTTON_NAME if locked else text.PERSON_BUTTON_NAME
        button.setAccessibleName(template.format(name=person.name, role=role))
        button.setCheckable(True)
        button.setMinimumHeight(_ROW_HEIGHT)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the PIN field keeps the keys
        button.setAutoDefault(False)
        button.clicked.connect(lambda checked: self._on_button_clicked(person.name, checked))
        self._group.addButton(button)
        self.buttons[person.name] = button
        self._people[person.name] = person
        return button

    @property
    def person(self) -> Person | None:
        """The chosen person, if any."""
        return self._chosen

    def choose(self, name: str | None) -> None:
        """Choose `name` (None: nobody), as a tap does."""
        for other, button in self.buttons.items():
            button.setChecked(other == name)
        chosen = self._people.get(name) if name is not None else None
        if chosen != self._chosen:
            self._chosen = chosen
            self.chosen.emit(chosen)

    def _on_button_clicked(self, name: str, checked: bool) -> None:
        self.choose(name if checked else None)
