"use client";

import { type FormEvent, useEffect, useState } from "react";

import { fetchModel, requestPrediction } from "@/lib/api-client";
import type { ModelInfo, Prediction } from "@/lib/api-types";
import type { DisplayError } from "@/lib/errors";
import { fill, messages } from "@/lib/i18n";

import { BatchScore } from "./BatchScore";
import { ErrorNotice } from "./ErrorNotice";
import { Leaderboard } from "./Leaderboard";
import { type ModelState, ModelPanel } from "./ModelPanel";
import { PredictForm } from "./PredictForm";
import { PredictionResult } from "./PredictionResult";
import styles from "./workbench.module.css";

const text = messages.predict;

type PredictionState =
  | { status: "idle" }
  | { status: "loading" }
  | { status: "error"; error: DisplayError }
  | { status: "done"; result: Prediction };

/** The values as numbers, or the list of features whose value is not a finite number. */
function parseValues(
  model: ModelInfo,
  values: Record<string, string>,
): { features: Record<string, number> } | { invalid: string[] } {
  const features: Record<string, number> = {};
  const invalid: string[] = [];
  for (const name of model.features) {
    const text = (values[name] ?? "").trim();
    const value = Number(text);
    if (text === "" || !Number.isFinite(value)) {
      invalid.push(name);
    } else {
      features[name] = value;
    }
  }
  return invalid.length > 0 ? { invalid } : { features };
}

/**
 * The interactive part of the page: the served model, the feature form and the answer, the
 * leaderboard of runs, and scoring an uploaded CSV file.
 */
export function Workbench() {
  const [modelState, setModelState] = useState<ModelState>({ status: "loading" });
  const [values, setValues] = useState<Record<string, string>>({});
  const [predictionState, setPredictionState] = useState<PredictionState>({ status: "idle" });

  // Bumped by the retry button so that the effect below loads the model once more.
  const [modelRequest, setModelRequest] = useState(0);

  useEffect(() => {
    // Ignore an answer that arrives after a newer request started or the page went away.
    let current = true;
    void fetchModel().then((result) => {
      if (current) {
        setModelState(
          result.ok ? { status: "ready", model: result.data } : { status: "error", error: result.error },
        );
      }
    });
    return () => {
      current = false;
    };
  }, [modelRequest]);

  const retryModel = () => {
    setModelState({ status: "loading" });
    setPredictionState({ status: "idle" });
    setModelRequest((count) => count + 1);
  };

  const handleChange = (feature: string, value: string) => {
    setValues((current) => ({ ...current, [feature]: value }));
  };

  const handleSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (modelState.status !== "ready") {
      return;
    }
    const parsed = parseValues(modelState.model, values);
    if ("invalid" in parsed) {
      setPredictionState({
        status: "error",
        error: {
          status: null,
          title: text.invalidTitle,
          details: parsed.invalid.map((name) => fill(text.invalidFeature, { feature: name })),
        },
      });
      return;
    }
    setPredictionState({ status: "loading" });
    const result = await requestPrediction({ features: parsed.features });
    setPredictionState(
      result.ok ? { status: "done", result: result.data } : { status: "error", error: result.error },
    );
  };

  const model = modelState.status === "ready" ? modelState.model : null;

  return (
    <div className={styles.layout}>
      <ModelPanel state={modelState} onRetry={retryModel} />
      <section className={styles.card} aria-labelledby="predict-heading">
        <h2 id="predict-heading">{text.heading}</h2>
        {model ? (
          <PredictForm
            features={model.features}
            values={values}
            busy={predictionState.status === "loading"}
            onChange={handleChange}
            onSubmit={handleSubmit}
          />
        ) : (
          <p className={styles.muted}>{text.waiting}</p>
        )}
        <div className={styles.result} aria-live="polite">
          {predictionState.status === "loading" && <p className={styles.muted}>{text.asking}</p>}
          {predictionState.status === "error" && (
            <ErrorNotice error={predictionState.error} testId="prediction-error" />
          )}
          {predictionState.status === "done" && <PredictionResult result={predictionState.result} />}
        </div>
      </section>
      <Leaderboard />
      {model && <BatchScore features={model.features} />}
    </div>
  );
}
