/**
 * The page's English text. Every other language's dictionary has this one's type, so a key it
 * lacks or adds fails `npm run typecheck`. `{name}` is filled in by lib/i18n.ts; `one`/`other`
 * pick the plural form by Intl.PluralRules.
 */
export const en = {
  meta: {
    title: "Datathon model",
    description: "The team's promoted model and a form to ask it for predictions.",
  },
  page: {
    heading: "Datathon model",
    intro:
      "The model currently promoted by the team's pipeline. Enter feature values and press Predict, or score a CSV file.",
  },
  model: {
    heading: "Served model",
    loading: "Loading the model…",
    runId: "Run id",
    algorithm: "Algorithm",
    target: "Target",
    classes: "Classes",
    noClasses: "none (the model predicts values)",
    trainedAt: "Trained at",
    promotedAt: "Promoted at",
    metrics: "Evaluation metrics",
    metric: "Metric",
    value: "Value",
  },
  predict: {
    heading: "Try the model",
    waiting: "The form appears once the model has loaded.",
    asking: "Asking the model…",
    submit: "Predict",
    submitting: "Predicting…",
    invalidTitle: "Every feature needs a number",
    invalidFeature: "{feature}: enter a number",
  },
  prediction: {
    predictedClass: "Predicted class",
    prediction: "Prediction",
    probabilities: "Class probabilities",
    class: "Class",
    probability: "Probability",
    answeredBy: "Answered by run {run}.",
  },
  leaderboard: {
    heading: "Leaderboard",
    loading: "Loading the runs…",
    empty: "No run has been registered yet.",
    rank: "#",
    run: "Run",
    state: "State",
    metric: "Metric",
    champion: "★ champion",
    // The registry's states (pipeline_jobs/registry.py); another state is shown as it is named.
    states: {
      running: "running",
      candidate: "candidate",
      pending_approval: "pending approval",
      rejected: "rejected",
      archived: "archived",
      failed: "failed",
    },
  },
  batch: {
    heading: "Score a file",
    hint: "A CSV file with a header row and a column per feature ({features}), up to {max} rows.",
    file: "CSV file to score",
    scoring: "Scoring the rows…",
    scored: {
      one: "Scored {rows} row with run {run}: {download}",
      other: "Scored {rows} rows with run {run}: {download}",
    },
    download: "download {name}",
    missingTitle: "The file lacks the model's features",
    missing: "missing: {features}",
    rowCountTitle: "The file needs 1 to {max} rows",
    rowCount: "it has {rows}",
    notNumberTitle: "Every feature needs a number",
    notNumber: "line {line}: {feature} is not a number",
  },
  errors: {
    retry: "Try again",
    rejected: "The model API rejected these values",
    unreachable: "The model API cannot be reached",
    noModel: "No model is being served yet",
    noModelHint: "The pipeline has not promoted a model yet. Train and promote one, then retry.",
    server: "The request failed on the server",
    other: "The request failed (HTTP {status})",
    offline: "This page's server cannot be reached",
    offlineHint: "Check your connection and try again.",
  },
};

export type Messages = typeof en;
