import type { FormEvent } from "react";

import { featureLabel } from "@/lib/format";
import { messages } from "@/lib/i18n";

import styles from "./workbench.module.css";

interface PredictFormProps {
  features: string[];
  values: Record<string, string>;
  busy: boolean;
  onChange: (feature: string, value: string) => void;
  onSubmit: (event: FormEvent<HTMLFormElement>) => void;
}

/** One numeric input per model feature and the button that asks for a prediction. */
export function PredictForm({ features, values, busy, onChange, onSubmit }: PredictFormProps) {
  return (
    <form className={styles.form} onSubmit={onSubmit} aria-busy={busy}>
      <div className={styles.fields}>
        {features.map((name, index) => {
          // Feature names may hold characters that are not valid in an id, so number the inputs.
          const inputId = `feature-${index}`;
          return (
            <div className={styles.field} key={name}>
              <label htmlFor={inputId}>{featureLabel(name)}</label>
              <input
                id={inputId}
                name={name}
                type="number"
                inputMode="decimal"
                step="any"
                required
                value={values[name] ?? ""}
                onChange={(event) => onChange(name, event.target.value)}
                aria-describedby={`${inputId}-column`}
              />
              <code id={`${inputId}-column`} className={styles.column}>
                {name}
              </code>
            </div>
          );
        })}
      </div>
      <button type="submit" className={styles.primaryButton} disabled={busy}>
        {busy ? messages.predict.submitting : messages.predict.submit}
      </button>
    </form>
  );
}
