"""The exception types of the dispatch package: one root, specific subclasses.

The API maps these to HTTP status codes in one place and the CLI maps `InputError` to exit code 2, so library
code raises them and never prints.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class DispatchError(Exception):
    """Root of every error the dispatch package raises on purpose."""


class BadCellError(DispatchError, ValueError):
    """A cell that cannot be parsed; the message says why, without the location (the reader adds it)."""


class StudyError(DispatchError, ValueError):
    """A what-if study file that cannot be run; the message names the entry."""


@dataclass(frozen=True)
class CellError:
    """One bad cell (or column, or file) of the input, located as a spreadsheet shows it.

    `row` counts like a spreadsheet: the header is row 1, the first data row is row 2. `row` is None for a
    problem with the whole column or file (a missing column), `column` is None for a problem with the whole
    row or file, `value` is the cell text exactly as read (None when there is no single cell to quote).
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            where += f", column {self.column}"
        if self.value is not None:
            where += f", value {self.value!r}"
        return f"{where}: {self.message}"

    def sort_key(self) -> tuple[str, int, str]:
        return (self.file, -1 if self.row is None else self.row, self.column or "")


class InputError(DispatchError):
    """Bad input: every problem found, reported at once, one per line."""

    def __init__(self, errors: Iterable[CellError]) -> None:
        self.errors: tuple[CellError, ...] = tuple(errors)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)

    def __len__(self) -> int:
        return len(self.errors)
