"""Named errors the jobs raise.

Lambda reports an uncaught exception's class name as the error type, so Step Functions can
catch these by name (for example ``"ErrorEquals": ["NoDataError"]``) and skip retries for
problems that retrying cannot fix.
"""


class PipelineError(Exception):
    """Base class of every error the pipeline raises on purpose."""


class ConfigurationError(PipelineError):
    """An environment variable or event field is missing or invalid."""


class NoDataError(PipelineError):
    """A source table is missing or has no data rows."""


class RunNotFoundError(PipelineError):
    """A step was asked to work on a run whose earlier outputs do not exist."""


class DataValidationError(PipelineError):
    """The exported data cannot be used to train a model."""


class MalformedCsvError(DataValidationError):
    """A CSV file has no header or rows whose length differs from the header's."""


class MissingColumnError(DataValidationError):
    """A column the training needs is not in the table, or holds empty values."""


class MissingTargetError(MissingColumnError):
    """The target column is not in the table, or a row has no target value."""


class NonNumericFeatureError(DataValidationError):
    """A feature column holds a value that is not a finite number."""


class TooFewRowsError(DataValidationError):
    """The table, or one of its classes, has too few rows to train and evaluate a model."""


class SingleClassError(DataValidationError):
    """The target column holds one class only, so there is nothing to classify."""


class HostsTimeoutError(PipelineError):
    """A training job's first host waited in vain for another host's share of the search."""


class SourceQueryError(PipelineError):
    """Athena ended a source table's query as FAILED or CANCELLED."""


class SourceQueryTimeoutError(PipelineError):
    """A source table's query did not finish within the export step's time; it was stopped."""


class RunExistsError(PipelineError):
    """A run was started with the id of an earlier run: run ids are never reused."""


class RunInProgressError(PipelineError):
    """Another execution holds the pipeline: one runs at a time."""
