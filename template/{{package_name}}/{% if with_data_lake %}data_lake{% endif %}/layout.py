"""Where things live in the data lake. Components grant access by these prefixes, never by
spelling them out again.

Main bucket:
    raw/            exported source tables: raw/<table>/dt=<YYYY-MM-DD>/<table>.csv
    processed/      cleaned, joined tables a team derives from raw/
    models/         trained models: models/<run_id>/ and the serving pointer models/latest.json
    logs/           application and job logs a team keeps next to its data (expire, see config)
    drift_reports/  one report per training run, comparing its features with the previous ones

Features bucket (versioned): features/<table>/latest.csv, one object version per training run.
"""

RAW = "raw/"
PROCESSED = "processed/"
MODELS = "models/"
LOGS = "logs/"
DRIFT_REPORTS = "drift_reports/"
FEATURES = "features/"

MAIN_BUCKET_PREFIXES = (RAW, PROCESSED, MODELS, LOGS, DRIFT_REPORTS)
