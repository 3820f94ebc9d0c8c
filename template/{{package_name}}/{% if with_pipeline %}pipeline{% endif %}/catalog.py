"""The pipeline's tables in the lake's Glue database, and the named queries a team starts
from, both built from runtime/pipeline_jobs/lake_tables.py: the definitions the jobs write
with, so a table's columns are always what its objects hold."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ..data_lake.catalog import LakeQueries
from .runtime.pipeline_jobs import lake_tables
from .runtime.pipeline_jobs.lake_tables import LakeTable
from .settings import SourceTableSettings

# How Athena reads each format: Hive's input and output formats and the SerDe.
_JSON = ("org.openx.data.jsonserde.JsonSerDe", {"ignore.malformed.json": "false"})
_CSV = ("org.apache.hadoop.hive.serde2.OpenCSVSerde", {"separatorChar": ",", "quoteChar": '"'})
_PARQUET = ("org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", {})
_TEXT = (
    "org.apache.hadoop.mapred.TextInputFormat",
    "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
)
FORMATS = {
    "json": (*_TEXT, *_JSON),
    "csv": (*_TEXT, *_CSV),
    "parquet": (
        "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        *_PARQUET,
    ),
}


def raw_tables(source_tables: list[SourceTableSettings]) -> list[LakeTable]:
    """The exported tables whose columns are known: the iris sample's, or the config's."""
    sources = source_tables or [SourceTableSettings(name="iris", uri="sample://iris")]
    tables = []
    for source in sources:
        if source.columns:
            columns = tuple(lake_tables.Column(n, t) for n, t in source.columns.items())
        elif source.uri == "sample://iris":
            columns = lake_tables.IRIS_COLUMNS
        else:
            continue
        tables.append(
            lake_tables.raw_table(source.name, columns, "parquet" if source.query else "csv")
        )
    return tables


def lake_catalog(
    scope: Construct,
    *,
    queries: LakeQueries,
    data_bucket: s3.IBucket,
    source_tables: list[SourceTableSettings],
) -> list[glue.CfnTable]:
    """A Glue table for each table the pipeline writes, and the workgroup's named queries."""
    stack = cdk.Stack.of(scope)
    raw = raw_tables(source_tables)
    created = []
    for table in (*lake_tables.PIPELINE_TABLES, *raw):
        input_format, output_format, serde, serde_parameters = FORMATS[table.format]
        partition_keys = (
            [glue.CfnTable.ColumnProperty(name=table.partition.name, type=table.partition.type)]
            if table.partition
            else None
        )
        created.append(
            glue.CfnTable(
                scope,
                f"{table.name.title().replace('_', '')}Table",
                catalog_id=stack.account,
                database_name=queries.database_name,
                table_input=glue.CfnTable.TableInputProperty(
                    name=table.name,
                    description=table.description,
                    table_type="EXTERNAL_TABLE",
                    parameters=table.parameters(data_bucket.bucket_name),
                    partition_keys=partition_keys,
                    storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                        location=table.location(data_bucket.bucket_name),
                        input_format=input_format,
                        output_format=output_format,
                        serde_info=glue.CfnTable.SerdeInfoProperty(
                            serialization_library=serde, parameters=serde_parameters
                        ),
                        columns=[
                            glue.CfnTable.ColumnProperty(name=c.name, type=c.type)
                            for c in table.columns
                        ],
                    ),
                ),
            )
        )
    for query in lake_tables.named_queries([table.name for table in raw]):
        athena.CfnNamedQuery(
            scope,
            f"{query.name.title().replace('-', '')}Query",
            name=query.name,
            description=query.description,
            database=queries.database_name,
            work_group=queries.workgroup_name,
            query_string=query.sql,
        )
    return created
