"use client";

import { type ChangeEvent, useEffect, useState } from "react";

import { requestBatchPrediction } from "@/lib/api-client";
import type { DisplayError } from "@/lib/errors";
import { fmt } from "@/lib/format";
import { fill, interpolate, messages, plural } from "@/lib/i18n";

import { ErrorNotice } from "./ErrorNotice";
import styles from "./workbench.module.css";

/** POST /predict/batch takes this many rows; larger files go to the pipeline's batch scoring. */
const MAX_ROWS = 1000;

const text = messages.batch;

type BatchState =
  | { status: "idle" }
  | { status: "loading" }
  | { status: "error"; error: DisplayError }
  | { status: "done"; rows: number; runId: string; url: string; name: string };

/** A CSV file's header and rows; quoted fields may hold commas and doubled quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === "") {
      continue;
    }
    const cells: string[] = [];
    let cell = "";
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const char = line[i];
      if (quoted && char === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') {
        quoted = !quoted;
      } else if (char === "," && !quoted) {
        cells.push(cell);
        cell = "";
      } else {
        cell += char;
      }
    }
    cells.push(cell);
    rows.push(cells);
  }
  return rows;
}

function csvCell(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Upload a CSV file, score its rows with the served model, and download the predictions. */
export function BatchScore({ features }: { features: string[] }) {
  const [state, setState] = useState<BatchState>({ status: "idle" });

  // The download link's object URL is freed when a newer result replaces it.
  useEffect(() => {
    const url = state.status === "done" ? state.url : null;
    return () => {
      if (url) {
        URL.revokeObjectURL(url);
      }
    };
  }, [state]);

  const fail = (title: string, details: string[]) =>
    setState({ status: "error", error: { status: null, title, details } });

  const handleFile = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    if (!file) {
      return;
    }
    const [header, ...records] = parseCsv(await file.text());
    const missing = features.filter((name) => !(header ?? []).includes(name));
    if (!header || missing.length > 0) {
      fail(text.missingTitle, [fill(text.missing, { features: missing.join(", ") })]);
      return;
    }
    if (records.length === 0 || records.length > MAX_ROWS) {
      fail(fill(text.rowCountTitle, { max: fmt.count(MAX_ROWS) }), [
        fill(text.rowCount, { rows: fmt.count(records.length) }),
      ]);
      return;
    }
    const rows: Record<string, number>[] = [];
    for (const [index, record] of records.entries()) {
      const row: Record<string, number> = {};
      for (const name of features) {
        const value = Number((record[header.indexOf(name)] ?? "").trim());
        if (!Number.isFinite(value)) {
          fail(text.notNumberTitle, [fill(text.notNumber, { line: fmt.count(index + 2), feature: name })]);
          return;
        }
        row[name] = value;
      }
      rows.push(row);
    }
    setState({ status: "loading" });
    const result = await requestBatchPrediction({ rows });
    if (!result.ok) {
      setState({ status: "error", error: result.error });
      return;
    }
    const { predictions, run_id: runId } = result.data;
    const classes = Object.keys(predictions[0]?.probabilities ?? {});
    const lines = [
      [...header, "prediction", ...classes.map((label) => `probability_${label}`)],
      ...records.map((record, index) => {
        const answer = predictions[index];
        const scores = classes.map((label) => String(answer?.probabilities?.[label] ?? ""));
        // The file is data for other programs: numbers as JSON writes them, in any language.
        return [...record, String(answer?.prediction ?? ""), ...scores];
      }),
    ];
    const csv = lines.map((line) => line.map(csvCell).join(",")).join("\n") + "\n";
    const url = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
    const name = `predictions-${runId}.csv`;
    setState({ status: "done", rows: predictions.length, runId, url, name });
  };

  return (
    <section className={styles.card} aria-labelledby="batch-heading">
      <h2 id="batch-heading">{text.heading}</h2>
      <p className={styles.muted}>
        {fill(text.hint, { features: features.join(", "), max: fmt.count(MAX_ROWS) })}
      </p>
      <label className={styles.field}>
        {text.file}
        <input type="file" accept=".csv,text/csv" onChange={(event) => void handleFile(event)} />
      </label>
      <div className={styles.result} aria-live="polite">
        {state.status === "loading" && <p className={styles.muted}>{text.scoring}</p>}
        {state.status === "error" && <ErrorNotice error={state.error} testId="batch-error" />}
        {state.status === "done" && (
          <p data-testid="batch-result">
            {interpolate(plural(text.scored, state.rows), {
              rows: fmt.count(state.rows),
              run: <code key="run">{state.runId}</code>,
              download: (
                <a key="download" href={state.url} download={state.name} data-testid="batch-download">
                  {fill(text.download, { name: state.name })}
                </a>
              ),
            })}
          </p>
        )}
      </div>
    </section>
  );
}
