"""The pipeline's jobs: export source tables, train a model, keep the registry of runs and
promote the champion (import_model), score files in batch.

Each job module exposes ``handler(event, context)`` for AWS Lambda; ``train_model`` can also
run as a plain process (``python -m pipeline_jobs.train_model``) on ECS Fargate.
"""
