/**
 * The page's text in its one language (lib/locale.ts), fixed at build time: each deployment
 * serves one language, so there is no locale in the URL and no language switcher.
 */
import { type Messages, dictionaries } from "../messages/index";
import { LOCALE } from "./locale";

/** The page's text in its language. */
export const messages: Messages = dictionaries[LOCALE];

/**
 * The parts of ``message`` with each `{name}` replaced by ``values[name]``: strings, or the
 * elements a component passes (a link, a code span). An unknown placeholder stays as written.
 */
export function interpolate<T>(message: string, values: Record<string, T>): (string | T)[] {
  return message
    .split(/(\{\w+\})/)
    .filter((part) => part !== "")
    .map((part) => {
      const name = /^\{(\w+)\}$/.exec(part)?.[1];
      return name !== undefined && name in values ? values[name] : part;
    });
}

/** ``message`` with its `{name}` placeholders filled in, as one string. */
export function fill(message: string, values: Record<string, string | number>): string {
  return interpolate(message, values).join("");
}

const pluralRules = new Intl.PluralRules(LOCALE);

/** The form of ``message`` for ``quantity`` in the page's language ("1 row", "2 rows"). */
export function plural(message: { one: string; other: string }, quantity: number): string {
  return pluralRules.select(quantity) === "one" ? message.one : message.other;
}
