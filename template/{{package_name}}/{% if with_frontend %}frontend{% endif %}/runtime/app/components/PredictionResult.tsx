import type { Prediction } from "@/lib/api-types";
import { fmt } from "@/lib/format";
import { interpolate, messages } from "@/lib/i18n";

import styles from "./workbench.module.css";

const text = messages.prediction;

/**
 * The prediction and, when the model gives them, every class's probability, most likely
 * first. A model without probabilities (or a regression model) shows its answer alone.
 */
export function PredictionResult({ result }: { result: Prediction }) {
  const ranked = Object.entries(result.probabilities ?? {}).sort(([, a], [, b]) => b - a);
  return (
    <div data-testid="prediction">
      <p className={styles.answer}>
        {result.probabilities ? text.predictedClass : text.prediction}:{" "}
        <strong data-testid="predicted-class">{fmt.prediction(result.prediction)}</strong>
      </p>
      {ranked.length > 0 && (
        <table className={styles.table}>
          <caption>{text.probabilities}</caption>
          <thead>
            <tr>
              <th scope="col">{text.class}</th>
              <th scope="col">{text.probability}</th>
            </tr>
          </thead>
          <tbody>
            {ranked.map(([label, probability]) => (
              <tr key={label} className={label === result.prediction ? styles.winner : undefined}>
                <th scope="row">{label}</th>
                <td>
                  <div className={styles.barCell}>
                    <span className={styles.bar} aria-hidden="true">
                      <span
                        className={styles.barFill}
                        style={{ width: `${Math.max(0, Math.min(1, probability)) * 100}%` }}
                      />
                    </span>
                    <span className={styles.numeric}>{fmt.probability(probability)}</span>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className={styles.muted}>
        {interpolate(text.answeredBy, { run: <code key="run">{result.run_id}</code> })}
      </p>
    </div>
  );
}
