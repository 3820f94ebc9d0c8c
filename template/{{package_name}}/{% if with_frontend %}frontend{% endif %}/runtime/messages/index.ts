/** Every language the page ships in: add a dictionary here to add a language. */
import { en, type Messages } from "./en";
import { ptBR } from "./pt-BR";

export const dictionaries = { en, "pt-BR": ptBR } satisfies Record<string, Messages>;

/** A language of the page, as a BCP 47 tag: it names the dictionary and Intl's formats. */
export type Locale = keyof typeof dictionaries;

export type { Messages };
