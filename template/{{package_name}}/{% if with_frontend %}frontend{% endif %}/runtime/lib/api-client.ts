/** Browser-side calls to this app's /api routes (never to the model API directly). */
import type {
  BatchPredictRequest,
  BatchPrediction,
  ModelInfo,
  Prediction,
  PredictRequest,
  RunSummary,
} from "@/lib/api-types";
import { type DisplayError, NETWORK_ERROR, describeError } from "@/lib/errors";

export type ApiResult<T> = { ok: true; data: T } | { ok: false; error: DisplayError };

async function requestJson<T>(path: string, init?: RequestInit): Promise<ApiResult<T>> {
  let response: Response;
  try {
    response = await fetch(path, { ...init, cache: "no-store" });
  } catch {
    return { ok: false, error: NETWORK_ERROR };
  }
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Fall through: an answer without JSON is reported by its status code alone.
  }
  if (response.ok && body !== null) {
    return { ok: true, data: body as T };
  }
  return { ok: false, error: describeError(response.ok ? 502 : response.status, body) };
}

/** The model the API serves. */
export function fetchModel(): Promise<ApiResult<ModelInfo>> {
  return requestJson<ModelInfo>("/api/model");
}

/** Ask the served model for a prediction. */
export function requestPrediction(request: PredictRequest): Promise<ApiResult<Prediction>> {
  return requestJson<Prediction>("/api/predict", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
  });
}

/** Ask the served model for predictions of many rows at once. */
export function requestBatchPrediction(request: BatchPredictRequest): Promise<ApiResult<BatchPrediction>> {
  return requestJson<BatchPrediction>("/api/predict/batch", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
  });
}

/** The registry's runs, best first. */
export function fetchRuns(): Promise<ApiResult<RunSummary[]>> {
  return requestJson<RunSummary[]>("/api/runs");
}
