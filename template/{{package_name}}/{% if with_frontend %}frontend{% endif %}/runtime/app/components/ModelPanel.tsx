import type { ModelInfo } from "@/lib/api-types";
import type { DisplayError } from "@/lib/errors";
import { fmt } from "@/lib/format";
import { messages } from "@/lib/i18n";

import { ErrorNotice } from "./ErrorNotice";
import styles from "./workbench.module.css";

const text = messages.model;

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
      <h2 id="model-heading">{text.heading}</h2>
      {state.status === "loading" && <p className={styles.muted}>{text.loading}</p>}
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
        <dt>{text.runId}</dt>
        <dd>
          <code>{model.run_id}</code>
        </dd>
        <dt>{text.algorithm}</dt>
        <dd>{model.algorithm}</dd>
        <dt>{text.target}</dt>
        <dd>{model.target}</dd>
        <dt>{text.classes}</dt>
        <dd>{model.classes.length > 0 ? model.classes.join(", ") : text.noClasses}</dd>
        <dt>{text.trainedAt}</dt>
        <dd>{fmt.timestamp(model.trained_at)}</dd>
        <dt>{text.promotedAt}</dt>
        <dd>{fmt.timestamp(model.promoted_at)}</dd>
      </dl>
      {metrics.length > 0 && (
        <table className={styles.table}>
          <caption>{text.metrics}</caption>
          <thead>
            <tr>
              <th scope="col">{text.metric}</th>
              <th scope="col" className={styles.numeric}>
                {text.value}
              </th>
            </tr>
          </thead>
          <tbody>
            {metrics.map(([name, value]) => (
              <tr key={name}>
                <th scope="row">{name}</th>
                <td className={styles.numeric}>{fmt.metric(value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
