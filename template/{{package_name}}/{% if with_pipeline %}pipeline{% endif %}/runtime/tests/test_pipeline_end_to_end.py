"""Export -> train -> import against moto with the shipped iris sample, then serve it."""

from __future__ import annotations

from pipeline_jobs import export_tables, import_model, model_format, train_model


def test_pipeline_promotes_a_model_that_classifies_iris(lake, lambda_context):
    export = export_tables.handler({}, lambda_context)
    trained = train_model.handler(export, lambda_context)
    imported = import_model.handler(trained, lambda_context)

    assert imported["promoted"] is True
    assert imported["run_id"] == export["run_id"] == trained["run_id"]
    loaded = model_format.load_promoted_model(lake.s3, lake.data_bucket)
    assert loaded is not None
    model, metadata = loaded
    assert metadata.run_id == export["run_id"]
    row = {"sepal_length": 6.3, "sepal_width": 3.3, "petal_length": 6.0, "petal_width": 2.5}
    [predicted] = model.predict([[row[name] for name in metadata.features]])
    assert predicted == "virginica"
    assert predicted in metadata.classes
