"""Turn an exported table (CSV, or the Parquet files of a source query) into a validated,
numeric feature table.

This is the place to add feature engineering (derived columns, encodings, joins of several
exported tables): whatever ``build_features`` returns is what the model trains on, what is
written to the features bucket and what the drift report compares between runs.
"""

from __future__ import annotations

import csv
import io
import math
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt

from pipeline_jobs.errors import (
    ConfigurationError,
    MalformedCsvError,
    MissingColumnError,
    MissingTargetError,
    NonNumericFeatureError,
    SingleClassError,
    TooFewRowsError,
)

# A stratified train/test split needs at least one row of each class on both sides.
MIN_ROWS_PER_CLASS = 2


@dataclass(frozen=True)
class CsvTable:
    """A parsed CSV file: header, data rows (blank lines dropped) and their line numbers."""

    header: list[str]
    rows: list[list[str]]
    line_numbers: list[int]


@dataclass(frozen=True)
class FeatureTable:
    """Numeric features and the class label of every row."""

    feature_names: tuple[str, ...]
    target: str
    values: npt.NDArray[np.float64]
    labels: npt.NDArray[np.str_]

    @property
    def rows(self) -> int:
        return len(self.labels)

    @property
    def classes(self) -> list[str]:
        return sorted(set(self.labels.tolist()))

    def columns(self) -> dict[str, npt.NDArray[np.float64]]:
        """Each feature's values by name (what the drift report compares)."""
        return {name: self.values[:, i] for i, name in enumerate(self.feature_names)}

    def to_csv(self) -> bytes:
        """The table as CSV: the feature columns, then the target column."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([*self.feature_names, self.target])
        for row, label in zip(self.values.tolist(), self.labels.tolist(), strict=True):
            writer.writerow([*(repr(value) for value in row), label])
        return buffer.getvalue().encode()


def parse_csv(data: bytes) -> CsvTable:
    """Parse a UTF-8 CSV file with a header row; cells and column names are stripped."""
    try:
        # utf-8-sig drops the byte order mark spreadsheet programs put in front of exports.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise MalformedCsvError(f"the file is not UTF-8 text: {error}") from error
    reader = csv.reader(io.StringIO(text))
    header = [name.strip() for name in next(reader, [])]
    if not header or not all(header):
        raise MalformedCsvError("the first line must be a header naming every column")
    duplicates = sorted(name for name, count in Counter(header).items() if count > 1)
    if duplicates:
        raise MalformedCsvError(f"the header repeats the column names {duplicates}")
    rows: list[list[str]] = []
    line_numbers: list[int] = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise MalformedCsvError(
                f"line {reader.line_num} has {len(row)} fields, the header has {len(header)}"
            )
        rows.append([cell.strip() for cell in row])
        line_numbers.append(reader.line_num)
    return CsvTable(header=header, rows=rows, line_numbers=line_numbers)


def parquet_table(files: Sequence[bytes]) -> CsvTable:
    """The rows of Parquet files (an Athena UNLOAD's output) as a table of text cells, which
    ``build_features`` validates like a CSV file's; a row's "line" is its number from 1."""
    if not files:
        raise MalformedCsvError("the export holds no Parquet files")
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for index, body in enumerate(files):
            path = Path(folder) / f"part-{index}.parquet"
            path.write_bytes(body)
            paths.append(str(path))
        try:
            with duckdb.connect() as connection:
                result = connection.execute(
                    "SELECT * FROM read_parquet($paths, union_by_name = true)", {"paths": paths}
                )
                header = [column[0] for column in result.description]
                values = result.fetchall()
        except duckdb.Error as error:
            message = f"the export's Parquet files cannot be read: {error}"
            raise MalformedCsvError(message) from error
    rows = [["" if value is None else str(value) for value in row] for row in values]
    return CsvTable(header=header, rows=rows, line_numbers=list(range(1, len(rows) + 1)))


def build_features(
    data: bytes | CsvTable,
    target: str,
    feature_columns: Sequence[str] | None = None,
    min_rows: int = 30,
) -> FeatureTable:
    """Validate a raw table (CSV bytes, or a parsed table) and return its features and labels.

    Features are ``feature_columns`` or, by default, every column but the target; each must
    hold finite numbers in every row. Raises a DataValidationError subclass naming the
    column and line of the first problem found.
    """
    table = data if isinstance(data, CsvTable) else parse_csv(data)
    if target not in table.header:
        raise MissingTargetError(
            f"the target column {target!r} is not in the table; its columns are {table.header}"
        )
    names = list(feature_columns) if feature_columns else [c for c in table.header if c != target]
    if target in names:
        raise ConfigurationError(f"the target column {target!r} cannot also be a feature")
    absent = [name for name in names if name not in table.header]
    if absent or not names:
        raise MissingColumnError(
            f"feature columns {absent or names} are not in the table; "
            f"its columns are {table.header}"
        )
    if len(table.rows) < min_rows:
        raise TooFewRowsError(
            f"the table has {len(table.rows)} data rows; training needs at least {min_rows}"
        )

    target_index = table.header.index(target)
    feature_indexes = [table.header.index(name) for name in names]
    values = np.empty((len(table.rows), len(names)), dtype=np.float64)
    labels: list[str] = []
    for row_index, (row, line) in enumerate(zip(table.rows, table.line_numbers, strict=True)):
        label = row[target_index]
        if not label:
            raise MissingTargetError(f"line {line}: the target column {target!r} is empty")
        labels.append(label)
        for column_index, (name, cell_index) in enumerate(zip(names, feature_indexes, strict=True)):
            values[row_index, column_index] = _to_number(row[cell_index], name, line)

    counts = Counter(labels)
    if len(counts) < 2:
        raise SingleClassError(
            f"the target column {target!r} holds one class only ({next(iter(counts))!r}); "
            "a classifier needs at least two"
        )
    rare = {label: count for label, count in counts.items() if count < MIN_ROWS_PER_CLASS}
    if rare:
        raise TooFewRowsError(
            f"classes {rare} have fewer than {MIN_ROWS_PER_CLASS} rows, "
            "too few to hold one out for evaluation"
        )
    return FeatureTable(
        feature_names=tuple(names),
        target=target,
        values=values,
        labels=np.array(labels, dtype=np.str_),
    )


def numeric_columns(data: bytes) -> dict[str, npt.NDArray[np.float64]]:
    """The columns of a CSV table whose every value is a finite number, by name.

    Used on an earlier run's feature table, whose columns may differ from today's.
    """
    table = parse_csv(data)
    columns: dict[str, npt.NDArray[np.float64]] = {}
    for index, name in enumerate(table.header):
        try:
            column = np.array([float(row[index]) for row in table.rows], dtype=np.float64)
        except ValueError:
            continue
        if len(column) and np.isfinite(column).all():
            columns[name] = column
    return columns


def _to_number(cell: str, column: str, line: int) -> float:
    try:
        value = float(cell)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        shown = repr(cell) if cell else "an empty value"
        raise NonNumericFeatureError(
            f"line {line}: feature column {column!r} holds {shown}, not a finite number"
        )
    return value
