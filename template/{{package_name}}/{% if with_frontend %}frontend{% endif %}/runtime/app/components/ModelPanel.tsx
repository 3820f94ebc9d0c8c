import type { ModelInfo } from "@/lib/api-types";
import type { DisplayError } from "@/lib/errors";
import { formatMetric, formatTimestamp } from "@/lib/format";

import { ErrorNotice } from "./ErrorNotice";
import styles from "./workbench.module.css";

export type ModelState =
  | { status: "loading" }
  | { status: "error"; error: DisplayError }
  | { status: "ready"; model: ModelInfo };

interface ModelPanelProps {
  state: ModelState;
  onRetry: () => void;
}

/** What the API serves: which run, which algorithm, how well it scored, and when. */
export function ModelPanel({ state, onRetry }: ModelPanelProps) {
  return (
    <section className={styles.card} aria-labelledby="model-heading" aria-busy={state.status === "loading"}>
      <h2 id="model-heading">Served model</h2>
      {state.status === "loading" && <p className={styles.muted}>Loading the model…</p>}
      {state.status === "error" && <ErrorNotice error={state.error} testId="model-error" onRetry={onRetry} />}
      {state.status === "ready" && <ModelDetails model={state.model} />}
    </section>
  );
}

function ModelDetails({ model }: { model: ModelInfo }) {
  const metrics = Object.entries(model.metrics);
  return (
    <div data-testid="model-info">
      <dl className={styles.facts}>
        <dt>Run id</dt>
        <dd>
          <code>{model.run_id}</code>
        </dd>
        <dt>Algorithm</dt>
        <dd>{model.algorithm}</dd>
        <dt>Target</dt>
        <dd>{model.target}</dd>
        <dt>Classes</dt>
        <dd>{model.classes.length > 0 ? model.classes.join(", ") : "none (the model predicts values)"}</dd>
        <dt>Trained at</dt>
        <dd>{formatTimestamp(model.trained_at)}</dd>
        <dt>Promoted at</dt>
        <dd>{formatTimestamp(model.promoted_at)}</dd>
      </dl>
      {metrics.length > 0 && (
        <table className={styles.table}>
          <caption>Evaluation metrics</caption>
          <thead>
            <tr>
              <th scope="col">Metric</th>
              <th scope="col" className={styles.numeric}>
                Value
              </th>
            </tr>
          </thead>
          <tbody>
            {metrics.map(([name, value]) => (
              <tr key={name}>
                <th scope="row">{name}</th>
                <td className={styles.numeric}>{formatMetric(value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
