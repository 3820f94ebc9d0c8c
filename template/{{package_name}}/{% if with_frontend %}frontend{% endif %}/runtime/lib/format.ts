/** Display formatting shared by the page's panels. */

const utcDateTime = new Intl.DateTimeFormat("en-GB", {
  dateStyle: "medium",
  timeStyle: "short",
  timeZone: "UTC",
});

/** An ISO timestamp as "9 Nov 2026, 14:05 UTC"; anything unparseable is shown as given. */
export function formatTimestamp(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${utcDateTime.format(date)} UTC`;
}

/** A metric value with at most four decimals; non-numbers are shown as given. */
export function formatMetric(value: unknown): string {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    return String(value);
  }
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}

/** A probability in [0, 1] as a percentage with one decimal. */
export function formatProbability(probability: number): string {
  return `${(probability * 100).toFixed(1)}%`;
}

/** "petal_length" -> "Petal length": a readable label from a feature's column name. */
export function featureLabel(name: string): string {
  const spaced = name.replace(/[_-]+/g, " ").trim();
  return spaced ? spaced.charAt(0).toUpperCase() + spaced.slice(1) : name;
}
