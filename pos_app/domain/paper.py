"""Plain text on paper of a fixed width (receipts, shift reports): nothing printed is
ever wider than the paper, and words longer than a line are broken."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

__all__ = ["Lines", "wrap"]


def wrap(text: str, width: int, *, hyphens: bool = False) -> list[str]:
    """`text` in lines of at most `width`; one empty line for no text."""
    wrapped = textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=hyphens)
    return wrapped or [""]


class Lines:
    """Lines of a fixed width; nothing printed is ever wider."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.lines: list[str] = []

    def rule(self) -> None:
        self.lines.append("-" * self.width)

    def wrapped(self, text: str) -> None:
        self.lines.extend(wrap(text, self.width))

    def centered(self, text: str) -> None:
        self.lines.extend(part.center(self.width).rstrip() for part in wrap(text, self.width))

    def row(self, left: str, right: str) -> None:
        """`left` flush left and `right` flush right on the first line; left wraps below."""
        if len(right) >= self.width - 1:
            self.wrapped(left)
            self.lines.append(right.rjust(self.width))
            return
        room = self.width - len(right) - 1
        parts = wrap(left, room) if left else [""]
        self.lines.append((parts[0].ljust(room) + " " + right).rstrip())
        self.lines.extend(parts[1:])

    def pairs(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Labels in a column and their values beside them; a value too long for the
        rest of the line goes on lines of its own, below its label."""
        column = max((len(label) for label, _ in pairs), default=0) + 1
        for label, value in pairs:
            if column + len(value) <= self.width:
                self.lines.append(label.ljust(column) + value)
            elif len(label) + 1 + len(value) <= self.width:
                self.lines.append(f"{label} {value}")
            else:
                self.lines.append(label)
                self.lines.extend(wrap(value, self.width, hyphens=True))
