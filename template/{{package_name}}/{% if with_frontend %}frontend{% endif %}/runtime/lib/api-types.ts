/**
 * The JSON shapes of the model API (the FastAPI service), as the browser receives them
 * through this app's /api routes.
 */

/** GET /model: the model the API currently serves. */
export interface ModelInfo {
  run_id: string;
  algorithm: string;
  target: string;
  features: string[];
  classes: string[];
  metrics: Record<string, number>;
  trained_at: string;
  promoted_at: string;
}

/** POST /predict request body: one number per feature name. */
export interface PredictRequest {
  features: Record<string, number>;
}

/**
 * POST /predict answer: the prediction (a class, or a value for a regression model) and the
 * probability of each class, or null for a model without probabilities.
 */
export interface Prediction {
  prediction: string | number;
  probabilities: Record<string, number> | null;
  run_id: string;
}

/** POST /predict/batch request body: up to 1000 rows, each as POST /predict takes it. */
export interface BatchPredictRequest {
  rows: Record<string, number>[];
}

/** POST /predict/batch answer: one prediction per row, in the rows' order. */
export interface BatchPrediction {
  run_id: string;
  predictions: Prediction[];
}

/** GET /runs: one run of the registry; the list comes best first. */
export interface RunSummary {
  run_id: string;
  state: string;
  metric: string | null;
  value: number | null;
  dataset_date: string | null;
  drift_status: string | null;
  reason: string | null;
  champion: boolean;
}

/** One entry of FastAPI's validation error list (422). */
export interface ValidationIssue {
  loc?: (string | number)[];
  msg: string;
  type?: string;
}

/** Every error answer: FastAPI's own shape, which this app's routes also use. */
export interface ApiErrorBody {
  detail: string | ValidationIssue[];
}
