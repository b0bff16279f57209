"""The attachments tab: photos, letters and documents kept inside the vault."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.records import MAX_ATTACHMENT_BYTES, Attachment
from desktop_app.ui import presentation
from desktop_app.ui.widgets import icons

ATTACHMENT_ROLE = Qt.ItemDataRole.UserRole + 1
EMPTY = (
    "No attachments on this case. Add a photo, letter or document with “Add attachment…”: "
    f"it is kept encrypted inside the vault (at most {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB each)."
)


class AttachmentsPanel(QWidget):
    add_requested = Signal()
    open_requested = Signal(object)  # Attachment

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.attachments: list[Attachment] = []
        self.status = QLabel(EMPTY)
        self.status.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setAccessibleName("Attachments")
        self.tree.setColumnCount(5)
        self.tree.setHeaderLabels(["File", "Type", "Size", "Added", "Status"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        for column, width in enumerate((260, 150, 80, 150)):
            self.tree.setColumnWidth(column, width)
        self.tree.itemActivated.connect(lambda item, _column: self.open_requested.emit(item.data(0, ATTACHMENT_ROLE)))
        self.add_button = QPushButton("Add &attachment…")
        self.open_button = QPushButton("&Open")
        self.add_button.clicked.connect(self.add_requested)
        self.open_button.clicked.connect(self._open_current)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.status)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self.open_button.setEnabled(False)

    def set_attachments(self, attachments: list[Attachment]) -> None:
        self.attachments = attachments
        self.tree.clear()
        for attachment in attachments:
            status = "Added in error" if attachment.in_error else ("On a note" if attachment.note_id else "")
            item = QTreeWidgetItem(
                [
                    attachment.filename,
                    attachment.media_type,
                    presentation.size_text(attachment.size),
                    presentation.local_time(attachment.added_at),
                    status,
                ]
            )
            item.setIcon(0, icons.paperclip())
            if attachment.in_error:
                item.setIcon(4, icons.in_error())
                item.setToolTip(4, f"Reason: {attachment.marked_reason}")
            if attachment.description:
                item.setToolTip(0, attachment.description)
            item.setData(0, ATTACHMENT_ROLE, attachment)
            self.tree.addTopLevelItem(item)
        if attachments:
            self.tree.setCurrentItem(self.tree.topLevelItem(0))
            count = len(attachments)
            self.status.setText(
                f"{count} {'attachment' if count == 1 else 'attachments'}, kept encrypted in the vault. "
                "Press Enter to view one here; nothing is written to disk."
            )
        else:
            self.status.setText(EMPTY)
        self.open_button.setEnabled(bool(attachments))

    def current_attachment(self) -> Attachment | None:
        item = self.tree.currentItem()
        return item.data(0, ATTACHMENT_ROLE) if item is not None else None

    def _open_current(self) -> None:
        attachment = self.current_attachment()
        if attachment is not None:
            self.open_requested.emit(attachment)
