"""Feature building: CSV parsing details and validation messages."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline_jobs.errors import (
    ConfigurationError,
    MalformedCsvError,
    MissingColumnError,
    NonNumericFeatureError,
)
from pipeline_jobs.features import build_features, numeric_columns, parse_csv

SMALL = b"a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n"
MIXED = b"a,colour,label\n1,red,x\n,blue,y\n5,,x\n7,red,y\n"


def test_parse_drops_blank_lines_strips_cells_and_a_byte_order_mark():
    table = parse_csv(b"\xef\xbb\xbf a , b \n\n 1 , 2 \n,\n3,4\n")
    assert table.header == ["a", "b"]
    assert {name: column.tolist() for name, column in table.columns.items()} == {
        "a": ["1", "3"],
        "b": ["2", "4"],
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "header"),
        (b"a,,c\n1,2,3\n", "header"),
        (b"a,a\n1,2\n", "repeats the column names \\['a'\\]"),
        (b"a,b\n\xff\xfe\n", "not UTF-8"),
    ],
)
def test_malformed_csv_is_rejected(data, message):
    with pytest.raises(MalformedCsvError, match=message):
        parse_csv(data)


def test_builds_numeric_features_and_labels():
    table = build_features(SMALL, target="label", min_rows=4)
    assert table.feature_names == ("a", "b")
    assert table.matrix().tolist() == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]
    assert table.labels.tolist() == ["x", "y", "x", "y"]
    assert table.classes == ["x", "y"]


def test_text_columns_are_categorical_and_gaps_are_missing_values():
    table = build_features(MIXED, target="label", min_rows=4)
    assert (table.numeric, table.categorical) == (("a",), ("colour",))
    assert table.report["inferred"] == {"a": "numeric", "colour": "categorical"}
    assert table.report["missing_values"] == {"a": 1, "colour": 1}
    matrix = table.matrix()
    assert np.isnan(matrix[1, 0]) and matrix[0, 1] == "red" and np.isnan(matrix[2, 1])


def test_a_regression_target_must_be_numbers():
    with pytest.raises(NonNumericFeatureError, match="row 1: the target column 'label'"):
        build_features(SMALL, target="label", min_rows=4, task_type="regression")


def test_feature_table_csv_round_trips():
    table = build_features(MIXED, target="label", min_rows=4)
    again = build_features(table.to_csv(), target="label", min_rows=4)
    assert again.report == table.report
    assert again.to_csv() == table.to_csv()
    assert numeric_columns(table.to_csv())["a"].tolist() == [1.0, 5.0, 7.0]


def test_missing_feature_column_is_named():
    with pytest.raises(MissingColumnError, match="\\['c'\\] are not in the table"):
        build_features(SMALL, target="label", feature_columns=["a", "c"], min_rows=4)


def test_target_cannot_be_a_feature():
    with pytest.raises(ConfigurationError, match="cannot also be a feature"):
        build_features(SMALL, target="label", feature_columns=["a", "label"], min_rows=4)


def test_numeric_columns_skips_text_columns():
    assert sorted(numeric_columns(SMALL)) == ["a", "b"]
