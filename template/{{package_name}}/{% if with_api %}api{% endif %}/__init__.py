"""The API component: the FastAPI service that serves the promoted model."""
