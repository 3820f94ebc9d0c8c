"""How the feature columns are encoded for the estimator; saved inside the model.

Numeric columns: missing values become the column's median, then standardised. Categorical
columns: missing values become the category "missing", then one-hot encoded; a category the
model never saw is encoded as all zeros rather than refused. Because the transform is the first
step of the saved sklearn Pipeline, the API and batch scoring pass raw values (numbers and text,
in the order of the metadata's ``features``) and get exactly the training's encoding.
"""

from __future__ import annotations

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

MISSING_CATEGORY = "missing"


def build_preprocessor(numeric: int, categorical: int) -> ColumnTransformer:
    """The transform of a matrix whose first ``numeric`` columns are numbers and whose next
    ``categorical`` columns are categories (the order of FeatureTable.feature_names)."""
    transformers = []
    if numeric:
        transformers.append(
            (
                "numeric",
                Pipeline(
                    [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
                ),
                list(range(numeric)),
            )
        )
    if categorical:
        transformers.append(
            (
                "categorical",
                Pipeline(
                    [
                        (
                            "impute",
                            SimpleImputer(strategy="constant", fill_value=MISSING_CATEGORY),
                        ),
                        (
                            "encode",
                            OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                        ),
                    ]
                ),
                list(range(numeric, numeric + categorical)),
            )
        )
    return ColumnTransformer(transformers, remainder="drop")
