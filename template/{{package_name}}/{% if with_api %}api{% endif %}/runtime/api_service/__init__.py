"""The model-serving API: a FastAPI app that serves the model the pipeline promoted."""
