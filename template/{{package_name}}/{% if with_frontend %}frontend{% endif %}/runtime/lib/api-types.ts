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

/** POST /predict answer: the predicted class and the probability of each class. */
export interface Prediction {
  prediction: string;
  probabilities: Record<string, number>;
  run_id: string;
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
