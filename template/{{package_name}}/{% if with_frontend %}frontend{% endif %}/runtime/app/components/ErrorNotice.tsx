import type { DisplayError } from "@/lib/errors";
import { messages } from "@/lib/i18n";

import styles from "./workbench.module.css";

interface ErrorNoticeProps {
  error: DisplayError;
  testId: string;
  onRetry?: () => void;
}

/** A failed request: what went wrong, the API's explanation, and a way to try again. */
export function ErrorNotice({ error, testId, onRetry }: ErrorNoticeProps) {
  return (
    <div className={styles.error} role="alert" data-testid={testId}>
      <p className={styles.errorTitle}>{error.title}</p>
      {error.details.length > 0 && (
        <ul className={styles.errorDetails}>
          {error.details.map((line, index) => (
            <li key={index}>{line}</li>
          ))}
        </ul>
      )}
      {onRetry && (
        <button type="button" className={styles.secondaryButton} onClick={onRetry}>
          {messages.errors.retry}
        </button>
      )}
    </div>
  );
}
