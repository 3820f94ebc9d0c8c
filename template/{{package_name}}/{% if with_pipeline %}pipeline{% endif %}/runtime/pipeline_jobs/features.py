"""Turn an exported table (CSV, or the Parquet files of a source query) into a validated
feature table of numeric and categorical columns.

This is the place to add feature engineering (derived columns, encodings, joins of several
exported tables): whatever ``build_features`` returns is what the model trains on, what is
written to the features bucket and what the drift report compares between runs. How each
column is encoded for the model (imputing, scaling, one-hot) is ``preprocessing.py``'s job,
and it is saved inside the model, so the API and batch scoring apply the same transform.

Tables are read as columns by DuckDB, never row by row in Python.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

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

TaskType = Literal["classification", "regression"]
# A stratified train/test split needs at least one row of each class on both sides.
MIN_ROWS_PER_CLASS = 2
# A column whose values are numbers in at least this share of its non-empty rows is read as a
# numeric column with typing mistakes (an error naming the row), not as a categorical one.
NUMERIC_SHARE = 0.9


@dataclass(frozen=True)
class RawTable:
    """A table as read: each column's cells as text (``None`` where empty), by name."""

    header: list[str]
    columns: dict[str, npt.NDArray[np.object_]]

    @property
    def rows(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0


@dataclass(frozen=True)
class FeatureTable:
    """The features of every row (numeric and categorical columns) and its target."""

    target: str
    task_type: TaskType
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    # Numeric columns as float64 (NaN where missing); categorical ones as text objects (NaN
    # where missing), in the order of ``feature_names``.
    values: dict[str, npt.NDArray[Any]]
    labels: npt.NDArray[Any]
    # How each feature's type was decided and how many values it misses (the training result
    # and the model's metadata carry it).
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def feature_names(self) -> tuple[str, ...]:
        return (*self.numeric, *self.categorical)

    @property
    def rows(self) -> int:
        return len(self.labels)

    @property
    def classes(self) -> list[str]:
        return sorted(set(self.labels.tolist())) if self.task_type == "classification" else []

    @property
    def feature_types(self) -> dict[str, str]:
        return {
            **dict.fromkeys(self.numeric, "numeric"),
            **dict.fromkeys(self.categorical, "categorical"),
        }

    def matrix(self) -> npt.NDArray[np.object_]:
        """The features as one object matrix, columns in ``feature_names`` order: what the
        model (its preprocessing first) is fitted on."""
        return np.column_stack([self.values[name].astype(object) for name in self.feature_names])

    def columns(self) -> dict[str, npt.NDArray[Any]]:
        """Each feature's present values by name, numbers as floats and categories as text
        (what the drift report compares)."""
        present = {name: self.values[name][~np.isnan(self.values[name])] for name in self.numeric}
        for name in self.categorical:
            kept = [cell for cell in self.values[name] if not _is_missing(cell)]
            present[name] = np.array(kept, dtype=str)
        return present

    def to_csv(self) -> bytes:
        """The table as CSV: the feature columns, then the target column; missing is empty."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([*self.feature_names, self.target])
        cells = [[_cell(value) for value in self.values[name]] for name in self.feature_names]
        labels = [_cell(value) for value in self.labels]
        writer.writerows(zip(*cells, labels, strict=True))
        return buffer.getvalue().encode()


def _is_missing(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(float(value))
    return str(value)


@functools.cache
def _database() -> duckdb.DuckDBPyConnection:
    """The process's one in-memory DuckDB: opening a database takes tens of milliseconds, a
    cursor on an open one a fraction of a millisecond (each read takes its own cursor)."""
    return duckdb.connect()


def parse_csv(data: bytes) -> RawTable:
    """Read a UTF-8 CSV file with a header row as text columns; cells and names are stripped,
    rows with no value at all are dropped."""
    try:
        # utf-8-sig drops the byte order mark spreadsheet programs put in front of exports.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise MalformedCsvError(f"the file is not UTF-8 text: {error}") from error
    header = [name.strip() for name in next(csv.reader(io.StringIO(text)), [])]
    if not header or not all(header):
        raise MalformedCsvError("the first line must be a header naming every column")
    duplicates = sorted(name for name, count in Counter(header).items() if count > 1)
    if duplicates:
        raise MalformedCsvError(f"the header repeats the column names {duplicates}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "table.csv"
        path.write_text(text, encoding="utf-8")
        try:
            with _database().cursor() as connection:
                columns = connection.execute(
                    "SELECT * FROM read_csv($path, header = true, columns = $columns,"
                    " auto_detect = false, delim = ',', quote = '\"', escape = '\"',"
                    " strict_mode = true)",
                    {"path": str(path), "columns": dict.fromkeys(header, "VARCHAR")},
                ).fetchnumpy()
        except duckdb.Error as error:
            raise MalformedCsvError(_csv_problem(str(error))) from error
    return _text_table(header, [columns[name] for name in header])


def parquet_table(files: Sequence[bytes]) -> RawTable:
    """The rows of Parquet files (an Athena UNLOAD's output) as text columns, which
    ``build_features`` validates like a CSV file's."""
    if not files:
        raise MalformedCsvError("the export holds no Parquet files")
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for index, body in enumerate(files):
            path = Path(folder) / f"part-{index}.parquet"
            path.write_bytes(body)
            paths.append(str(path))
        try:
            with _database().cursor() as connection:
                result = connection.execute(
                    "SELECT * FROM read_parquet($paths, union_by_name = true)", {"paths": paths}
                )
                header = [column[0] for column in result.description]
                columns = result.fetchnumpy()
        except duckdb.Error as error:
            message = f"the export's Parquet files cannot be read: {_first_lines(error)}"
            raise MalformedCsvError(message) from error
    return _text_table(header, [columns[name] for name in header])


def _csv_problem(message: str) -> str:
    """DuckDB's CSV error in a sentence: which line, and what is wrong with it."""
    line = re.search(r"CSV Error on Line: (\d+)", message)
    fields = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
    if line and fields:
        return f"line {line[1]} has {fields[2]} fields, the header has {fields[1]}"
    return f"the CSV file cannot be read: {' '.join(message.splitlines()[:3])}"


def _first_lines(error: Exception) -> str:
    return " ".join(str(error).splitlines()[:3])


def _text_table(header: list[str], raw: Sequence[Any]) -> RawTable:
    columns: dict[str, npt.NDArray[np.object_]] = {}
    for name, column in zip(header, raw, strict=True):
        mask = np.ma.getmaskarray(column)
        cells = np.asarray(np.ma.getdata(column)).astype(str).astype(object)
        cells = np.char.strip(cells.astype(str)).astype(object)
        cells[mask | (cells == "")] = None
        columns[name] = cells
    if columns:
        # A row without any value (",,,") is a blank line, not a row of missing values.
        empty = np.logical_and.reduce([column == None for column in columns.values()])  # noqa: E711
        columns = {name: column[~empty] for name, column in columns.items()}
    return RawTable(header=header, columns=columns)


def build_features(
    data: bytes | RawTable,
    target: str,
    feature_columns: Sequence[str] | None = None,
    min_rows: int = 30,
    task_type: TaskType = "classification",
    categorical_columns: Sequence[str] = (),
) -> FeatureTable:
    """Validate a raw table (CSV bytes, or a read table) and return its features and target.

    Features are ``feature_columns`` or, by default, every column but the target. A feature is
    categorical when listed in ``categorical_columns`` or when its values are not numbers;
    otherwise numeric. Missing values are allowed in features (the model imputes them), not in
    the target. Raises a DataValidationError subclass naming the column and row at fault.
    """
    table = data if isinstance(data, RawTable) else parse_csv(data)
    if target not in table.header:
        raise MissingTargetError(
            f"the target column {target!r} is not in the table; its columns are {table.header}"
        )
    names = list(feature_columns) if feature_columns else [c for c in table.header if c != target]
    if target in names:
        raise ConfigurationError(f"the target column {target!r} cannot also be a feature")
    absent = [name for name in (*names, *categorical_columns) if name not in table.header]
    if absent or not names:
        raise MissingColumnError(
            f"feature columns {absent or names} are not in the table; "
            f"its columns are {table.header}"
        )
    if table.rows < min_rows:
        raise TooFewRowsError(
            f"the table has {table.rows} data rows; training needs at least {min_rows}"
        )

    labels = _target(table.columns[target], target, task_type)
    declared = set(categorical_columns)
    numeric: list[str] = []
    categorical: list[str] = []
    values: dict[str, npt.NDArray[Any]] = {}
    inferred: dict[str, str] = {}
    for name in names:
        cells = table.columns[name]
        numbers = None if name in declared else _numbers(cells, name)
        if numbers is None:
            categorical.append(name)
            values[name] = np.where(cells == None, np.nan, cells).astype(object)  # noqa: E711
        else:
            numeric.append(name)
            values[name] = numbers
        if name not in declared:
            inferred[name] = "categorical" if numbers is None else "numeric"
    report = {
        "numeric": numeric,
        "categorical": categorical,
        "declared_categorical": sorted(declared & set(names)),
        "inferred": inferred,
        "missing_values": {
            name: int(np.count_nonzero(table.columns[name] == None))  # noqa: E711
            for name in names
            if np.any(table.columns[name] == None)  # noqa: E711
        },
    }
    return FeatureTable(
        target=target,
        task_type=task_type,
        numeric=tuple(numeric),
        categorical=tuple(categorical),
        values=values,
        labels=labels,
        report=report,
    )


def _numbers(cells: npt.NDArray[np.object_], name: str) -> npt.NDArray[np.float64] | None:
    """The column as finite floats (NaN where empty), or None when it is not numeric."""
    present = cells != None  # noqa: E711
    parsed = np.full(len(cells), np.nan)
    bad: list[int] = []
    count = int(present.sum())
    if count == 0:
        return None
    try:
        # One conversion of the whole column; only a column with a bad cell is walked, and
        # only until it is clearly a text column.
        parsed[present] = cells[present].astype(np.float64)
    except ValueError:
        for index in np.flatnonzero(present):
            try:
                parsed[index] = float(cells[index])
            except ValueError:
                bad.append(int(index))
                if len(bad) > count * (1 - NUMERIC_SHARE):
                    return None
    finite = np.isfinite(parsed) | ~present
    if bad or not finite.all():
        row = bad[0] if bad else int(np.flatnonzero(~finite)[0])
        raise NonNumericFeatureError(
            f"row {row + 1}: feature column {name!r} holds {cells[row]!r}, not a finite number "
            f"(its other values are numbers); fix the value, or declare the column categorical"
        )
    return parsed


def _target(cells: npt.NDArray[np.object_], target: str, task_type: TaskType) -> npt.NDArray[Any]:
    empty = np.flatnonzero(cells == None)  # noqa: E711
    if len(empty):
        raise MissingTargetError(f"row {empty[0] + 1}: the target column {target!r} is empty")
    if task_type == "regression":
        try:
            values = cells.astype(np.float64)
        except ValueError:
            row = next(i for i, cell in enumerate(cells) if not is_number(cell))
            raise NonNumericFeatureError(
                f"row {row + 1}: the target column {target!r} holds {cells[row]!r}; "
                "a regression needs a number in every row"
            ) from None
        if not np.isfinite(values).all():
            raise NonNumericFeatureError(f"the target column {target!r} holds non-finite numbers")
        return values
    counts = Counter(cells.tolist())
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
    return cells.astype(str)


def is_number(text: str) -> bool:
    """Whether a CSV cell reads as a number (float() accepts it)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def drift_columns(data: bytes, categorical: Iterable[str]) -> dict[str, npt.NDArray[Any]]:
    """The columns of an earlier run's feature table to compare with this run's features:
    ``categorical`` ones as text, the others as numbers where they are numbers, each with its
    present values."""
    table = parse_csv(data)
    categories = set(categorical)
    columns: dict[str, npt.NDArray[Any]] = numeric_columns(table)
    for name, cells in table.columns.items():
        if name in categories or name not in columns:
            columns[name] = np.array([cell for cell in cells if cell is not None], dtype=str)
    return columns


def numeric_columns(data: bytes | RawTable) -> dict[str, npt.NDArray[np.float64]]:
    """The numeric columns of a CSV table (an earlier run's feature table, whose columns may
    differ from today's), by name, with their present values."""
    table = data if isinstance(data, RawTable) else parse_csv(data)
    columns: dict[str, npt.NDArray[np.float64]] = {}
    for name, cells in table.columns.items():
        try:
            numbers = _numbers(cells, name)
        except NonNumericFeatureError:
            continue
        if numbers is not None:
            columns[name] = numbers[~np.isnan(numbers)]
    return columns
