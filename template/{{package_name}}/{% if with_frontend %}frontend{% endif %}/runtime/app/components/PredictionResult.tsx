import type { Prediction } from "@/lib/api-types";
import { formatProbability } from "@/lib/format";

import styles from "./workbench.module.css";

/**
 * The prediction and, when the model gives them, every class's probability, most likely
 * first. A model without probabilities (or a regression model) shows its answer alone.
 */
export function PredictionResult({ result }: { result: Prediction }) {
  const ranked = Object.entries(result.probabilities ?? {}).sort(([, a], [, b]) => b - a);
  return (
    <div data-testid="prediction">
      <p className={styles.answer}>
        {result.probabilities ? "Predicted class" : "Prediction"}:{" "}
        <strong data-testid="predicted-class">{result.prediction}</strong>
      </p>
      {ranked.length > 0 && (
        <table className={styles.table}>
          <caption>Class probabilities</caption>
          <thead>
            <tr>
              <th scope="col">Class</th>
              <th scope="col">Probability</th>
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
                    <span className={styles.numeric}>{formatProbability(probability)}</span>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className={styles.muted}>
        Answered by run <code>{result.run_id}</code>.
      </p>
    </div>
  );
}
