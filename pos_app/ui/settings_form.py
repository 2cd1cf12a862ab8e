"""The settings dialog's widgets: built in two columns, filled from a form, read back as one.

`SettingsFormWidgets` knows the fields, their captions and their look; it
knows nothing of the settings service. `pos_app.ui.settings_dialog.SettingsDialog`
adds the behaviour: the check as typed, the connection test, Save.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from pos_app.services.settings import SettingsField, SettingsForm, TerminalSummary
from pos_app.ui.controls import MIN_TOUCH, touch_button
from pos_app.ui.settings_fields import FieldRows, label, line_edit, radio, set_text
from pos_app.ui.style import set_style_state, style_sheet
from pos_app.ui.text import settings as text

__all__ = ["SettingsFormWidgets"]


class SettingsFormWidgets(QDialog):
    """The settings dialog's fields, group boxes, status area and buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle(text.TITLE)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setStyleSheet(style_sheet("settings_dialog"))
        self._rows = FieldRows(self)
        self._locked: set[QWidget] = set()
        self._build()

    # -- building -----------------------------------------------------------------------

    def _build(self) -> None:
        self.setMinimumWidth(900)
        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        columns = QHBoxLayout()
        columns.setSpacing(16)
        left = QVBoxLayout()
        left.addWidget(self._build_environment())
        left.addWidget(self._build_credentials())
        left.addWidget(self._build_connection())
        left.addWidget(self._build_store())
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self._build_lane())
        right.addWidget(self._build_flow())
        right.addWidget(self._build_printer())
        right.addStretch(1)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        # The form scrolls on a short screen (768 px tills); Save and Cancel stay in view.
        content = QWidget(self)
        content.setLayout(columns)
        scroll = QScrollArea(self)
        scroll.setObjectName("settingsScrollArea")
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        screen = self.screen() or QGuiApplication.primaryScreen()
        room = screen.availableGeometry().height() - 160 if screen is not None else 600
        scroll.setMinimumHeight(min(content.sizeHint().height(), max(room, 300)))
        layout.addWidget(scroll, 1)
        layout.addLayout(self._build_buttons())

    def _build_environment(self) -> QGroupBox:
        group, form = self._rows.group(text.ENVIRONMENT_GROUP, "environmentGroup")
        self.environment_group = QButtonGroup(self)
        self.demo_radio = radio(self, "demoRadio", text.DEMO_RADIO, self.environment_group)
        self.justifi_radio = radio(self, "justifiRadio", text.JUSTIFI_RADIO, self.environment_group)
        self._rows.wide(form, self.demo_radio)
        self._rows.wide(form, self.justifi_radio)
        self.api_url_edit = line_edit(
            self, "apiUrlEdit", text.API_URL_LABEL, text.API_URL_PLACEHOLDER
        )
        self._rows.add(form, text.API_URL_LABEL, self.api_url_edit, SettingsField.API_URL)
        return group

    def _build_credentials(self) -> QGroupBox:
        group, form = self._rows.group(text.CREDENTIALS_GROUP, "credentialsGroup")
        self.credentials_box = group
        self.client_id_edit = line_edit(self, "clientIdEdit", text.CLIENT_ID_LABEL)
        self._rows.add(form, text.CLIENT_ID_LABEL, self.client_id_edit, SettingsField.CLIENT_ID)
        self.client_secret_edit = line_edit(self, "clientSecretEdit", text.CLIENT_SECRET_LABEL)
        self.client_secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_state_label = label(self, "secretStateLabel", "", role="help")
        self.keyring_note = label(self, "keyringNote", "", role="note")
        self.keyring_note.hide()
        self._rows.add(
            form,
            text.CLIENT_SECRET_LABEL,
            self.client_secret_edit,
            SettingsField.CLIENT_SECRET,
            notes=(self.secret_state_label, self.keyring_note),
        )
        self.sub_account_edit = line_edit(
            self, "subAccountEdit", text.SUB_ACCOUNT_LABEL, text.SUB_ACCOUNT_PLACEHOLDER
        )
        self._rows.add(
            form, text.SUB_ACCOUNT_LABEL, self.sub_account_edit, SettingsField.SUB_ACCOUNT
        )
        return group

    def _build_flow(self) -> QGroupBox:
        group, form = self._rows.group(text.FLOW_GROUP, "flowGroup")
        self.flow_group = QButtonGroup(self)
        self.payment_intent_radio = radio(
            self, "paymentIntentRadio", text.FLOW_PAYMENT_INTENT, self.flow_group
        )
        self.checkout_radio = radio(self, "checkoutRadio", text.FLOW_CHECKOUT, self.flow_group)
        self._rows.wide(form, self.payment_intent_radio)
        self._rows.wide(form, self.checkout_radio)
        self._rows.wide(form, label(self, "flowHelp", text.FLOW_DESCRIPTION, role="help"))
        return group

    def _build_lane(self) -> QGroupBox:
        group, form = self._rows.group(text.LANE_GROUP, "laneGroup")
        self.lane_edit = line_edit(self, "laneEdit", text.LANE_LABEL)
        self._rows.add(form, text.LANE_LABEL, self.lane_edit, SettingsField.LANE)
        self.terminal_combo = QComboBox(self)
        self.terminal_combo.setObjectName("defaultTerminalCombo")
        self.terminal_combo.setAccessibleName(text.TERMINAL_LABEL)
        self.terminal_combo.setToolTip(text.TERMINAL_TIP)
        self.terminal_combo.setMinimumHeight(MIN_TOUCH)
        self._rows.add(
            form, text.TERMINAL_LABEL, self.terminal_combo, SettingsField.DEFAULT_TERMINAL
        )
        self.tax_rate_edit = line_edit(self, "taxRateEdit", text.TAX_NAME)
        self.tax_rate_edit.setMaximumWidth(120)
        self.tax_rate_edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        tax_row = QHBoxLayout()
        tax_row.addWidget(self.tax_rate_edit)
        tax_row.addWidget(QLabel(text.TAX_SUFFIX, self))
        tax_row.addStretch(1)
        self._rows.add(
            form, text.TAX_LABEL, tax_row, SettingsField.TAX_RATE, buddy=self.tax_rate_edit
        )
        self.idle_minutes_edit = line_edit(self, "idleMinutesEdit", text.IDLE_NAME)
        self.idle_minutes_edit.setAccessibleDescription(text.IDLE_HELP)
        self.idle_minutes_edit.setToolTip(text.IDLE_HELP)
        self.idle_minutes_edit.setMaximumWidth(120)
        self.idle_minutes_edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        idle_row = QHBoxLayout()
        idle_row.addWidget(self.idle_minutes_edit)
        idle_row.addWidget(QLabel(text.IDLE_SUFFIX, self))
        idle_row.addStretch(1)
        self._rows.add(
            form,
            text.IDLE_LABEL,
            idle_row,
            SettingsField.IDLE_SIGN_OUT,
            buddy=self.idle_minutes_edit,
        )
        self.discount_limit_edit = line_edit(self, "discountLimitEdit", text.DISCOUNT_LIMIT_NAME)
        self.discount_limit_edit.setAccessibleDescription(text.DISCOUNT_LIMIT_HELP)
        self.discount_limit_edit.setToolTip(text.DISCOUNT_LIMIT_HELP)
        self.discount_limit_edit.setMaximumWidth(120)
        self.discount_limit_edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        discount_row = QHBoxLayout()
        discount_row.addWidget(self.discount_limit_edit)
        discount_row.addWidget(QLabel(text.DISCOUNT_LIMIT_SUFFIX, self))
        discount_row.addStretch(1)
        self._rows.add(
            form,
            text.DISCOUNT_LIMIT_LABEL,
            discount_row,
            SettingsField.DISCOUNT_APPROVAL,
            buddy=self.discount_limit_edit,
        )
        self.receipt_header_edit = QPlainTextEdit(self)
        self.receipt_header_edit.setObjectName("receiptHeaderEdit")
        self.receipt_header_edit.setAccessibleName(text.HEADER_LABEL)
        self.receipt_header_edit.setAccessibleDescription(text.HEADER_HELP)
        self.receipt_header_edit.setPlaceholderText(text.HEADER_PLACEHOLDER)
        self.receipt_header_edit.setTabChangesFocus(True)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.receipt_header_edit.setFont(mono)
        line = self.receipt_header_edit.fontMetrics().lineSpacing()
        self.receipt_header_edit.setFixedHeight(line * 6 + 16)
        self._rows.add(
            form,
            text.HEADER_LABEL,
            self.receipt_header_edit,
            SettingsField.RECEIPT_HEADER,
            notes=(label(self, "receiptHeaderHelp", text.HEADER_HELP, role="help"),),
        )
        return group

    def _build_printer(self) -> QGroupBox:
        group, form = self._rows.group(text.PRINTER_GROUP, "printerGroup")
        self.receipt_printer_edit = line_edit(
            self, "receiptPrinterEdit", text.PRINTER_LABEL, text.PRINTER_PLACEHOLDER
        )
        self.receipt_printer_edit.setAccessibleDescription(text.PRINTER_HELP)
        self._rows.add(
            form,
            text.PRINTER_LABEL,
            self.receipt_printer_edit,
            SettingsField.RECEIPT_PRINTER,
            notes=(label(self, "receiptPrinterHelp", text.PRINTER_HELP, role="help"),),
        )
        return group

    def _build_connection(self) -> QGroupBox:
        group = QGroupBox(text.CONNECTION_GROUP, self)
        group.setObjectName("connectionGroup")
        box = QVBoxLayout(group)
        self.test_button = touch_button(self, "testConnectionButton", text.TEST_BUTTON)
        self.test_button.setAccessibleDescription(text.TEST_BUTTON_DESCRIPTION)
        self.test_button.setToolTip(text.TEST_BUTTON_DESCRIPTION)
        row = QHBoxLayout()
        row.addWidget(self.test_button)
        row.addStretch(1)
        box.addLayout(row)
        self.status_label = label(self, "connectionStatusLabel", text.TEST_PROMPT)
        self.status_label.setAccessibleName(text.STATUS_NAME)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setMinimumHeight(MIN_TOUCH)
        box.addWidget(self.status_label)
        return group

    def _build_store(self) -> QGroupBox:
        """The store's database: its address, its password (kept in the keyring) and a test."""
        group, form = self._rows.group(text.STORE_GROUP, "storeGroup")
        self.store_url_edit = line_edit(
            self, "storeUrlEdit", text.STORE_URL_NAME, text.STORE_URL_PLACEHOLDER
        )
        self.store_url_help = label(self, "storeUrlHelp", text.STORE_URL_HELP, role="help")
        self._rows.add(
            form,
            text.STORE_URL_LABEL,
            self.store_url_edit,
            SettingsField.STORE_URL,
            notes=(self.store_url_help,),
        )
        self.store_password_edit = line_edit(self, "storePasswordEdit", text.STORE_PASSWORD_NAME)
        self.store_password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.store_password_state_label = label(self, "storePasswordStateLabel", "", role="help")
        self.store_keyring_note = label(self, "storeKeyringNote", "", role="note")
        self.store_keyring_note.hide()
        self._rows.add(
            form,
            text.STORE_PASSWORD_LABEL,
            self.store_password_edit,
            SettingsField.STORE_PASSWORD,
            notes=(self.store_password_state_label, self.store_keyring_note),
        )
        self.test_store_button = touch_button(self, "testStoreButton", text.STORE_TEST_BUTTON)
        self.test_store_button.setAccessibleDescription(text.STORE_TEST_DESCRIPTION)
        self.test_store_button.setToolTip(text.STORE_TEST_DESCRIPTION)
        row = QHBoxLayout()
        row.addWidget(self.test_store_button)
        row.addStretch(1)
        FieldRows.wide_layout(form, row)
        self.store_status_label = label(self, "storeStatusLabel", text.STORE_TEST_PROMPT)
        self.store_status_label.setAccessibleName(text.STORE_STATUS_NAME)
        self.store_status_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self._rows.wide(form, self.store_status_label)
        return group

    def _build_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.change_pin_button = touch_button(self, "changePinButton", text.CHANGE_PIN_BUTTON)
        row.addWidget(self.change_pin_button)
        row.addStretch(1)
        self.cancel_button = touch_button(self, "cancelSettingsButton", text.CANCEL_BUTTON)
        self.save_button = touch_button(self, "saveSettingsButton", text.SAVE_BUTTON)
        self.save_button.setDefault(True)
        row.addWidget(self.cancel_button)
        row.addWidget(self.save_button)
        return row

    # -- values ----------------------------------------------------------------------------

    def _fill(self, form: SettingsForm) -> None:
        (self.demo_radio if form.demo else self.justifi_radio).setChecked(True)
        self.api_url_edit.setText(form.api_url)
        self.client_id_edit.setText(form.client_id)
        self.sub_account_edit.setText(form.sub_account)
        checkout = form.payment_flow == "checkout"
        (self.checkout_radio if checkout else self.payment_intent_radio).setChecked(True)
        self.lane_edit.setText(form.lane)
        self._set_terminals([], form.default_terminal)
        self.tax_rate_edit.setText(form.tax_rate_percent)
        self.idle_minutes_edit.setText(form.idle_sign_out_minutes)
        self.discount_limit_edit.setText(form.discount_approval_percent)
        self.receipt_printer_edit.setText(form.receipt_printer)
        self.receipt_header_edit.setPlainText(form.receipt_header)
        self.store_url_edit.setText(form.store_url)

    def _set_terminals(self, terminals: list[TerminalSummary], chosen: str) -> None:
        combo = self.terminal_combo
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(text.TERMINAL_NONE, "")
        for terminal in terminals:
            combo.addItem(
                text.TERMINAL_ITEM.format(name=terminal.name, id=terminal.id), terminal.id
            )
        if chosen and combo.findData(chosen) < 0:
            combo.addItem(chosen, chosen)  # saved earlier; not (yet) confirmed by a test
        combo.setCurrentIndex(max(combo.findData(chosen), 0))
        combo.blockSignals(False)

    def form(self) -> SettingsForm:
        """What the dialog holds now."""
        return SettingsForm(
            demo=self.demo_radio.isChecked(),
            api_url=self.api_url_edit.text(),
            client_id=self.client_id_edit.text(),
            client_secret=self.client_secret_edit.text(),
            sub_account=self.sub_account_edit.text(),
            payment_flow="checkout" if self.checkout_radio.isChecked() else "payment_intent",
            lane=self.lane_edit.text(),
            default_terminal=str(self.terminal_combo.currentData() or ""),
            tax_rate_percent=self.tax_rate_edit.text(),
            receipt_header=self.receipt_header_edit.toPlainText(),
            idle_sign_out_minutes=self.idle_minutes_edit.text(),
            discount_approval_percent=self.discount_limit_edit.text(),
            receipt_printer=self.receipt_printer_edit.text(),
            store_url=self.store_url_edit.text(),
            store_password=self.store_password_edit.text(),
        )

    # -- look ------------------------------------------------------------------------------------

    def _lock(
        self,
        fields: frozenset[SettingsField],
        by_store: frozenset[SettingsField] = frozenset(),
    ) -> None:
        """Disable the widgets of `fields` (set by the environment, or for the whole store:
        `by_store`), saying why."""
        widgets: dict[SettingsField, list[QWidget]] = {
            SettingsField.DEMO: [self.demo_radio, self.justifi_radio],
            SettingsField.API_URL: [self.api_url_edit],
            SettingsField.CLIENT_ID: [self.client_id_edit],
            SettingsField.SUB_ACCOUNT: [self.sub_account_edit],
            SettingsField.PAYMENT_FLOW: [self.payment_intent_radio, self.checkout_radio],
            SettingsField.LANE: [self.lane_edit],
            SettingsField.DEFAULT_TERMINAL: [self.terminal_combo],
            SettingsField.TAX_RATE: [self.tax_rate_edit],
            SettingsField.RECEIPT_HEADER: [self.receipt_header_edit],
            SettingsField.IDLE_SIGN_OUT: [self.idle_minutes_edit],
            SettingsField.DISCOUNT_APPROVAL: [self.discount_limit_edit],
            SettingsField.RECEIPT_PRINTER: [self.receipt_printer_edit],
            SettingsField.STORE_URL: [self.store_url_edit],
        }
        for key in fields | by_store:
            tip = text.STORE_LOCKED_TIP if key in by_store else text.LOCKED_TIP
            for widget in widgets.get(key, []):
                widget.setEnabled(False)
                widget.setToolTip(tip)
                widget.setAccessibleDescription(tip)
                self._locked.add(widget)
            if key in by_store and key in widgets:
                self._rows.lock_note(key, text.STORE_LOCKED_NOTE)

    def _fit_height(self) -> None:
        """Grow to fit the hints shown (a top-level layout ignores wrapped labels' height)."""
        layout = self.layout()
        if layout is None or not layout.hasHeightForWidth():
            return
        layout.activate()
        needed = layout.totalHeightForWidth(max(self.width(), self.minimumWidth()))
        self.setMinimumHeight(needed)
        if self.height() < needed:
            self.resize(self.width(), needed)

    def _show_status(self, message: str, outcome: str) -> None:
        label = self.status_label
        set_style_state(label, "outcome", outcome)
        set_text(label, message)
        label.setAccessibleName(text.STATUS_NAME)
        label.setAccessibleDescription(message)
