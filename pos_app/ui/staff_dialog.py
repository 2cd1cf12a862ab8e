"""Staff management for an owner or a manager: who may work the till, and their PINs.

The list shows each person's name, role, whether they are turned on and
whether they are locked out. Add, turn off or on, reset a PIN and unlock
(an owner) each call `ManagerService` with the signed-in person as `by`; a
refusal (a manager adding a manager, turning off the last owner) shows the
service's own sentence under the list. New PINs are typed on the keypad
(`PinDialog` in NEW_PIN mode), twice.

An owner also makes a new recovery code here ("New recovery code...": a
confirmation, then the code shown once by the owner set-up's own dialog); on a
lane that has none (one migrated from the old single manager PIN) the owner
reads "No recovery code yet" above the buttons.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.errors import UserFacingError
from pos_app.domain.staff import (
    NAME_MAX_CHARS,
    Person,
    StaffRole,
    check_staff_name,
    min_pin_digits,
)
from pos_app.services.manager import ManagerService
from pos_app.ui.controls import MIN_TOUCH, touch_button
from pos_app.ui.manager_screen import ManagerScreen
from pos_app.ui.owner_setup import make_recovery_code
from pos_app.ui.pin_dialog import PinDialog, PinMode
from pos_app.ui.style import set_style_state, style_sheet
from pos_app.ui.tasks import TaskSlot, accepted, finished_result
from pos_app.ui.text import staff as text

__all__ = ["AddPersonDialog", "StaffDialog"]

_COLUMNS = (text.COLUMN_NAME, text.COLUMN_ROLE, text.COLUMN_ACTIVE, text.COLUMN_LOCKED)


def _locked_text(person: Person, now: datetime) -> str:
    until = person.locked_until
    if until is None or until <= now:
        return text.LOCKED_NO
    return text.LOCKED_UNTIL.format(time=until.astimezone().strftime("%H:%M"))


class AddPersonDialog(QDialog):
    """Asks a new person's name and role (the roles `by` may add); the PIN comes next."""

    def __init__(self, roles: list[StaffRole], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("addPersonDialog")
        self.setWindowTitle(text.ADD_TITLE)
        self.setAccessibleName(text.ADD_TITLE)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setStyleSheet(style_sheet("staff_dialog"))
        self.name = ""
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("addNameEdit")
        self.name_edit.setAccessibleName(text.ADD_NAME_LABEL.replace("&", ""))
        self.name_edit.setMaxLength(NAME_MAX_CHARS)
        self.name_edit.setMinimumHeight(MIN_TOUCH)
        self.name_edit.textChanged.connect(self._on_name_edit_text_changed)
        self.role_combo = QComboBox(self)
        self.role_combo.setObjectName("addRoleCombo")
        self.role_combo.setAccessibleName(text.ADD_ROLE_LABEL.replace("&", ""))
        self.role_combo.setMinimumHeight(MIN_TOUCH)
        for role in roles:
            self.role_combo.addItem(text.ROLES[role], role.value)
        form.addRow(text.ADD_NAME_LABEL, self.name_edit)
        form.addRow(text.ADD_ROLE_LABEL, self.role_combo)
        layout.addLayout(form)
        self.message_label = QLabel("", self)
        self.message_label.setObjectName("addMessageLabel")
        self.message_label.setWordWrap(True)
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.message_label)
        row = QHBoxLayout()
        cancel = touch_button(self, "addCancelButton", text.CANCEL)
        cancel.clicked.connect(self.reject)
        self.next_button = touch_button(self, "addNextButton", text.ADD_NEXT)
        self.next_button.setDefault(True)
        self.next_button.setEnabled(False)
        self.next_button.clicked.connect(self._on_next_button_clicked)
        row.addStretch(1)
        row.addWidget(cancel)
        row.addWidget(self.next_button)
        layout.addLayout(row)
        self.setMinimumWidth(420)

    @property
    def role(self) -> StaffRole:
        """The role chosen."""
        return StaffRole(str(self.role_combo.currentData()))

    def _on_name_edit_text_changed(self, name: str) -> None:
        self.next_button.setEnabled(bool(name.strip()))

    def _on_next_button_clicked(self) -> None:
        try:
            self.name = check_staff_name(self.name_edit.text())
        except UserFacingError as exc:
            self.message_label.setText(text.sentence(exc.message))
            return
        self.accept()


class StaffDialog(ManagerScreen):
    """The staff list and what an owner or manager may do to it."""

    def __init__(
        self, service: ManagerService, parent: QWidget | None = None, *, idle_check_ms: int = 1000
    ) -> None:
        super().__init__(service, parent, idle_check_ms=idle_check_ms)
        self.setObjectName("staffDialog")
        self.setWindowTitle(text.STAFF_TITLE)
        self.setAccessibleName(text.STAFF_TITLE)
        self.setStyleSheet(style_sheet("staff_dialog"))
        self.resize(760, 520)
        self.slot = TaskSlot(self, "staff action")
        self.people: list[Person] = []
        self._has_code = True  # read with the people (refresh)
        self._build()
        self.reauthenticated.connect(self.refresh)
        self.refresh()

    # -- building -----------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        intro = QLabel(text.STAFF_INTRO, self)
        intro.setObjectName("staffIntroLabel")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = QTableWidget(0, len(_COLUMNS), self)
        self.table.setObjectName("staffTable")
        self.table.setAccessibleName(text.STAFF_TABLE_NAME)
        self.table.setHorizontalHeaderLabels(list(_COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(MIN_TOUCH)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        layout.addWidget(self.table, 1)
        self.status_label = QLabel("", self)
        self.status_label.setObjectName("staffStatusLabel")
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.status_label)
        recovery = QHBoxLayout()
        self.recovery_label = QLabel(text.NO_CODE_YET, self)
        self.recovery_label.setObjectName("staffRecoveryLabel")
        self.recovery_label.setWordWrap(True)
        self.recovery_label.setAccessibleName(text.NO_CODE_YET)
        self.recovery_button = self._button(
            "staffRecoveryCodeButton", text.NEW_CODE_BUTTON, self._new_code
        )
        self.recovery_button.setAccessibleName(text.NEW_CODE_BUTTON_NAME)
        recovery.addWidget(self.recovery_label, 1)
        recovery.addWidget(self.recovery_button)
        layout.addLayout(recovery)
        row = QHBoxLayout()
        self.add_button = self._button("staffAddButton", text.ADD_BUTTON, self._add)
        self.toggle_button = self._button("staffToggleButton", text.DISABLE_BUTTON, self._toggle)
        self.reset_button = self._button("staffResetPinButton", text.RESET_PIN_BUTTON, self._reset)
        self.unlock_button = self._button("staffUnlockButton", text.UNLOCK_BUTTON, self._unlock)
        self.own_pin_button = self._button("staffOwnPinButton", text.OWN_PIN_BUTTON, self._own_pin)
        close = touch_button(self, "staffCloseButton", text.CLOSE_BUTTON)
        close.clicked.connect(self.reject)
        for button in (self.add_button, self.toggle_button, self.reset_button):
            row.addWidget(button)
        row.addWidget(self.unlock_button)
        row.addWidget(self.own_pin_button)
        row.addStretch(1)
        row.addWidget(close)
        layout.addLayout(row)

    def _button(self, name: str, label: str, action: Callable[[], object]) -> QPushButton:
        button = touch_button(self, name, label)
        button.clicked.connect(action)
        return button

    # -- the list -----------------------------------------------------------------------

    @property
    def by(self) -> Person | None:
        """The person managing the staff (signed in)."""
        return self.service.current()

    @property
    def selected(self) -> Person | None:
        """The person chosen in the list."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        row = rows[0].row()
        return self.people[row] if 0 <= row < len(self.people) else None

    def refresh(self) -> None:
        """Read the staff again and keep the chosen person chosen."""
        chosen = self.selected
        self.people = self.service.people(include_disabled=True)
        self._has_code = self.service.has_recovery_code()
        now = self.service.now()
        self.table.setRowCount(len(self.people))
        for row, person in enumerate(self.people):
            cells = (
                person.name,
                text.ROLES[person.role],
                text.ACTIVE_YES if person.active else text.ACTIVE_NO,
                _locked_text(person, now),
            )
            for column, value in enumerate(cells):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.AccessibleTextRole, value)
                self.table.setItem(row, column, item)
            if chosen is not None and person.name == chosen.name:
                self.table.selectRow(row)
        self._update_buttons()

    def select(self, name: str) -> None:
        """Choose `name` in the list."""
        for row, person in enumerate(self.people):
            if person.name == name:
                self.table.selectRow(row)
                return

    def _update_buttons(self) -> None:
        by = self.by
        chosen = self.selected
        owner = by is not None and by.role is StaffRole.OWNER
        self.add_button.setEnabled(by is not None and by.can_approve)
        self.toggle_button.setEnabled(chosen is not None)
        label = (
            text.ENABLE_BUTTON if chosen is not None and not chosen.active else text.DISABLE_BUTTON
        )
        self.toggle_button.setText(label)
        self.toggle_button.setAccessibleName(label)
        self.reset_button.setEnabled(chosen is not None)
        locked = chosen is not None and _locked_text(chosen, self.service.now()) != ""
        self.unlock_button.setVisible(owner)
        self.unlock_button.setEnabled(owner and locked)
        self.recovery_button.setVisible(owner)
        self.recovery_label.setVisible(owner and not self._has_code)

    def _say(self, message: str, state: str = "info") -> None:
        self.status_label.setText(message)
        self.status_label.setAccessibleName(message)
        set_style_state(self.status_label, "state", state)

    # -- actions ------------------------------------------------------------------------

    def _act(self, action: Callable[[], str]) -> bool:
        """Run one service call; its sentence, or the service's refusal, under the list."""
        try:
            done = action()
        except UserFacingError as exc:
            self._say(text.sentence(exc.message), "refused")
            return False
        self.refresh()
        self._say(done, "ok")
        return True

    def _add(self) -> None:
        self.slot.start_if_idle(self.add_person())

    async def add_person(self) -> Person | None:
        """Ask a name and role, then the PIN twice; the person added, or None."""
        by = self.by
        if by is None:
            return None
        roles = list(StaffRole) if by.role is StaffRole.OWNER else [StaffRole.CASHIER]
        ask = AddPersonDialog(roles, self)
        try:
            if not accepted(await finished_result(ask)):
                return None
            name, role = ask.name, ask.role
        finally:
            ask.deleteLater()
        added: list[Person] = []

        def save(pin: str) -> None:
            added.append(self.service.add_person(name, role, pin, by=by))

        if not await self._ask_new_pin(name, role, save):
            return None
        self.refresh()
        self.select(name)
        self._say(text.ADDED.format(name=name, role=text.ROLES[role].lower()), "ok")
        return added[0] if added else None

    async def _ask_new_pin(self, name: str, role: StaffRole, save: Callable[[str], object]) -> bool:
        dialog = PinDialog(
            self.service,
            self,
            mode=PinMode.NEW_PIN,
            name=name,
            role=role,
            save=save,
            prompt=text.NEW_PIN_PROMPT.format(name=name, digits=min_pin_digits(role)),
        )
        dialog.setWindowTitle(text.NEW_PIN_TITLE.format(name=name))
        try:
            return await dialog.ask()
        finally:
            dialog.deleteLater()

    def _toggle(self) -> None:
        chosen, by = self.selected, self.by
        if chosen is None or by is None:
            self._say(text.CHOOSE_SOMEONE)
            return
        if chosen.active:
            self._act(
                lambda: text.DISABLED_DONE.format(
                    name=self.service.disable(chosen.name, by=by).name
                )
            )
        else:
            self._act(
                lambda: text.ENABLED_DONE.format(name=self.service.enable(chosen.name, by=by).name)
            )

    def _reset(self) -> None:
        chosen, by = self.selected, self.by
        if chosen is None or by is None:
            self._say(text.CHOOSE_SOMEONE)
            return
        self.slot.start_if_idle(self.reset_pin(chosen.name))

    async def reset_pin(self, name: str) -> bool:
        """A new PIN for `name`, chosen by the signed-in owner or manager."""
        by = self.by
        person = next((p for p in self.people if p.name == name), None)
        if by is None or person is None:
            return False

        if person.name == by.name:
            return await self.change_own_pin()  # one's own PIN needs the current one

        def save(pin: str) -> None:
            self.service.set_pin(person.name, pin, by=by)

        if not await self._ask_new_pin(person.name, person.role, save):
            return False
        self.refresh()
        self._say(text.PIN_RESET_DONE.format(name=person.name), "ok")
        return True

    def _own_pin(self) -> None:
        self.slot.start_if_idle(self.change_own_pin())

    async def change_own_pin(self) -> bool:
        """The signed-in person's own PIN: the current one, then the new one twice."""
        by = self.by
        if by is None:
            return False
        dialog = PinDialog(self.service, self, mode=PinMode.CHANGE, name=by.name, role=by.role)
        try:
            changed = await dialog.ask()
        finally:
            dialog.deleteLater()
        if changed:
            self.refresh()
            self._say(text.PIN_RESET_DONE.format(name=by.name), "ok")
        return changed

    def _unlock(self) -> None:
        chosen, by = self.selected, self.by
        if chosen is None or by is None:
            self._say(text.CHOOSE_SOMEONE)
            return
        self._act(
            lambda: text.UNLOCKED_DONE.format(name=self.service.unlock(chosen.name, by=by).name)
        )

    def _new_code(self) -> None:
        self.slot.start_if_idle(self.new_recovery_code())

    async def new_recovery_code(self) -> bool:
        """A new recovery code by the signed-in owner: confirmed, then shown once."""
        by = self.by
        if by is None or by.role is not StaffRole.OWNER:
            return False
        made = await make_recovery_code(self.service, by, self)
        self.refresh()
        if made:
            self._say(text.NEW_CODE_DONE, "ok")
        return made
