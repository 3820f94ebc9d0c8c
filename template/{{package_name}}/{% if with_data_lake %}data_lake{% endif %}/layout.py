"""Where things live in the data lake. Components grant access by these prefixes, never by
spelling them out again.

Main bucket:
    raw/               exported source tables: raw/<table>/dt=<YYYY-MM-DD>/<table>.csv
    processed/         cleaned, joined tables a team derives from raw/
    models/            trained models: models/<run_id>/ and the serving pointer models/latest.json
    logs/              application and job logs a team keeps next to its data (expire, see config)
    drift_reports/     one report per training run, comparing its features with the previous ones
    training_results/  one summary per training run: its metrics and where it wrote what
    query_results/     Athena's query results, encrypted (expire, see config)
    frontend_builds/   the front end's built app, one archive per source and CPU architecture
    registry/          the registry of runs: registry/runs/<run_id>.json, the pipeline's lock
                       and the task tokens of runs waiting for approval
    training_jobs/     SageMaker training jobs' own files: output/<job>/ and, with spot,
                       checkpoints/<run_id>/ (training_compute: sagemaker)

Features bucket (versioned): features/<table>/latest.csv, one object version per training run.
"""

RAW = "raw/"
PROCESSED = "processed/"
MODELS = "models/"
LOGS = "logs/"
DRIFT_REPORTS = "drift_reports/"
TRAINING_RESULTS = "training_results/"
QUERY_RESULTS = "query_results/"
FEATURES = "features/"
FRONTEND_BUILDS = "frontend_builds/"
REGISTRY = "registry/"
REGISTRY_RUNS = f"{REGISTRY}runs/"
TRAINING_JOBS = "training_jobs/"
# Batch scoring's output: processed/predictions/<run_id>/<batch>/predictions.csv + _manifest.json
PREDICTIONS = f"{PROCESSED}predictions/"

# The model the API serves: only the pipeline's import step writes it.
SERVING_POINTER = f"{MODELS}latest.json"

MAIN_BUCKET_PREFIXES = (
    RAW,
    PROCESSED,
    MODELS,
    LOGS,
    DRIFT_REPORTS,
    TRAINING_RESULTS,
    QUERY_RESULTS,
    FRONTEND_BUILDS,
    REGISTRY,
    TRAINING_JOBS,
)
