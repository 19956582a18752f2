"""CSV tables of numbers for the lakehouse layers (csv + numpy; pandas is not assumed)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from taskkit import TaskError, write_text


@dataclass(frozen=True)
class Table:
    """A numeric table: column names and a 2-D float array with one row per record."""

    columns: list[str]
    values: np.ndarray

    def column(self, name: str) -> np.ndarray:
        return self.values[:, self.columns.index(name)]


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Writes a header and rows; floats keep full precision (repr round-trips)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_cell(value) for value in row] for row in rows)
    write_text(path, buffer.getvalue())


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """The header and the raw text rows of a CSV file."""
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.reader(stream)
        header = next(reader, None)
        if header is None:
            raise TaskError(f"{path} is empty: expected a header row")
        return header, [row for row in reader if row]


def read_numeric(path: Path, expected_columns: Sequence[str]) -> Table:
    """A table whose every cell is a number and whose header is exactly expected_columns."""
    header, rows = read_rows(path)
    if header != list(expected_columns):
        raise TaskError(f"{path}: columns {header} differ from the schema's {list(expected_columns)}")
    for number, row in enumerate(rows, start=1):
        if len(row) != len(header):
            raise TaskError(f"{path} data row {number}: {len(row)} cells, expected {len(header)}")
    try:
        values = np.array([[float(cell) for cell in row] for row in rows], dtype=np.float64)
    except ValueError as error:
        raise TaskError(f"{path}: a cell is not a number ({error})") from None
    if values.size == 0:
        raise TaskError(f"{path} has no rows")
    if not np.isfinite(values).all():
        raise TaskError(f"{path}: every cell must be a finite number")
    return Table(list(header), values)


def _cell(value: object) -> object:
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, np.integer):
        return int(value)
    return value
