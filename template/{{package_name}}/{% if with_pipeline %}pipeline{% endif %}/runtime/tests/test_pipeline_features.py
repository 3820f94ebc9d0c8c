"""Feature building: CSV parsing details and validation messages."""

from __future__ import annotations

import pytest

from pipeline_jobs.errors import ConfigurationError, MalformedCsvError, MissingColumnError
from pipeline_jobs.features import build_features, numeric_columns, parse_csv

SMALL = b"a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n"


def test_parse_drops_blank_lines_strips_cells_and_a_byte_order_mark():
    table = parse_csv(b"\xef\xbb\xbf a , b \n\n 1 , 2 \n,\n3,4\n")
    assert table.header == ["a", "b"]
    assert table.rows == [["1", "2"], ["3", "4"]]
    assert table.line_numbers == [3, 5]


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
    assert table.values.tolist() == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]
    assert table.labels.tolist() == ["x", "y", "x", "y"]
    assert table.classes == ["x", "y"]


def test_feature_table_csv_round_trips():
    table = build_features(SMALL, target="label", min_rows=4)
    assert build_features(table.to_csv(), target="label", min_rows=4).values.tolist() == (
        table.values.tolist()
    )
    assert numeric_columns(table.to_csv())["b"].tolist() == [2.0, 4.0, 6.0, 8.0]


def test_missing_feature_column_is_named():
    with pytest.raises(MissingColumnError, match="\\['c'\\] are not in the table"):
        build_features(SMALL, target="label", feature_columns=["a", "c"], min_rows=4)


def test_target_cannot_be_a_feature():
    with pytest.raises(ConfigurationError, match="cannot also be a feature"):
        build_features(SMALL, target="label", feature_columns=["a", "label"], min_rows=4)


def test_numeric_columns_skips_text_columns():
    assert sorted(numeric_columns(SMALL)) == ["a", "b"]
