/**
 * Every message of the page exists, non-empty, in every language, with the same placeholders,
 * and the formatters write numbers and dates as each language's readers do.
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import { dictionaries } from "../messages/index";
import { formatters } from "./format";
import { fill, interpolate } from "./i18n";

/** Messages that read the same in Portuguese as in English. */
const SAME_IN_BOTH = new Set(["model.classes", "leaderboard.rank"]);

/** Every message of a dictionary by its dotted key, e.g. "batch.scored.one". */
function flatten(tree: object, prefix = ""): Map<string, unknown> {
  const leaves = new Map<string, unknown>();
  for (const [key, value] of Object.entries(tree)) {
    if (typeof value === "object" && value !== null) {
      for (const [inner, leaf] of flatten(value, `${prefix}${key}.`)) {
        leaves.set(inner, leaf);
      }
    } else {
      leaves.set(`${prefix}${key}`, value);
    }
  }
  return leaves;
}

const placeholders = (message: string) => [...message.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();

const english = flatten(dictionaries.en);

for (const [locale, dictionary] of Object.entries(dictionaries)) {
  test(`${locale}: every message is translated, with the placeholders of the English one`, () => {
    const messages = flatten(dictionary);
    assert.deepEqual([...messages.keys()].sort(), [...english.keys()].sort());
    for (const [key, message] of messages) {
      assert.equal(typeof message, "string", key);
      assert.notEqual((message as string).trim(), "", `${locale} ${key} is empty`);
      assert.deepEqual(placeholders(message as string), placeholders(english.get(key) as string), key);
      if (locale !== "en" && !SAME_IN_BOTH.has(key)) {
        assert.notEqual(message, english.get(key), `${locale} ${key} is still English`);
      }
    }
  });
}

test("pt-BR numbers and dates: decimal comma, dot for thousands, day before month", () => {
  const pt = formatters("pt-BR");
  assert.equal(pt.probability(0.934), "93,4%");
  assert.equal(pt.probability(1), "100,0%");
  assert.equal(pt.metric(0.93), "0,93");
  assert.equal(pt.metric(0.912345), "0,9123");
  assert.equal(pt.metric("n/a"), "n/a");
  assert.equal(pt.prediction(1234.5), "1.234,5");
  assert.equal(pt.prediction("virginica"), "virginica");
  assert.equal(pt.count(1000), "1.000");
  assert.match(pt.timestamp("2026-11-09T14:05:00Z"), /^9 de nov\.? de 2026,? 14:05 UTC$/);
  assert.equal(pt.timestamp("not a date"), "not a date");
});

test("en numbers and dates: decimal point, comma for thousands", () => {
  const en = formatters("en");
  assert.equal(en.probability(0.934), "93.4%");
  assert.equal(en.metric(0.93), "0.93");
  assert.equal(en.prediction(1234.5), "1,234.5");
  assert.match(en.timestamp("2026-11-09T14:05:00Z"), /^Nov 9, 2026,? 14:05 UTC$/);
});

test("placeholders take text or elements, in the language's word order", () => {
  const link = { element: "download" };
  assert.deepEqual(interpolate("Previsões de {rows} linhas: {download}", { rows: "2", download: link }), [
    "Previsões de ",
    "2",
    " linhas: ",
    link,
  ]);
  assert.equal(fill("{feature}: informe um número", { feature: "petal_length" }), "petal_length: informe um número");
  assert.equal(fill("{unknown} stays", {}), "{unknown} stays");
});
