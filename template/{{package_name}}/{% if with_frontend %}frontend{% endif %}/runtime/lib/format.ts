/** Numbers and dates as readers of the page's language write them (lib/locale.ts). */
import type { Locale } from "../messages/index";
import { LOCALE } from "./locale";

/** The formatters of one language; the page uses ``fmt``, those of its own language. */
export function formatters(locale: Locale) {
  const dateTime = new Intl.DateTimeFormat(locale, {
    dateStyle: "medium",
    timeStyle: "short",
    hourCycle: "h23",
    timeZone: "UTC",
  });
  const decimal = new Intl.NumberFormat(locale, { maximumFractionDigits: 4 });
  const whole = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const percent = new Intl.NumberFormat(locale, {
    style: "percent",
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  });

  return {
    /** An ISO timestamp in UTC, "Nov 9, 2026, 14:05 UTC" in en; unparseable: as given. */
    timestamp(iso: string): string {
      const date = new Date(iso);
      return Number.isNaN(date.getTime()) ? iso : `${dateTime.format(date)} UTC`;
    },
    /** A metric value with at most four decimals; non-numbers are shown as given. */
    metric(value: unknown): string {
      return typeof value === "number" && Number.isFinite(value) ? decimal.format(value) : String(value);
    },
    /** A probability in [0, 1] as a percentage with one decimal. */
    probability(probability: number): string {
      return percent.format(probability);
    },
    /** A prediction: a class as it is named, a regression model's value as a number. */
    prediction(value: string | number): string {
      return typeof value === "number" ? decimal.format(value) : value;
    },
    /** A count, grouped as the language groups thousands ("1,000" in en). */
    count(value: number): string {
      return whole.format(value);
    },
  };
}

/** The page's formatters. */
export const fmt = formatters(LOCALE);

/** "petal_length" -> "Petal length": a readable label from a feature's column name. */
export function featureLabel(name: string): string {
  const spaced = name.replace(/[_-]+/g, " ").trim();
  return spaced ? spaced.charAt(0).toUpperCase() + spaced.slice(1) : name;
}
