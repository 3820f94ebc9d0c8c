"use client";

import { useEffect, useState } from "react";

import { fetchRuns } from "@/lib/api-client";
import type { RunSummary } from "@/lib/api-types";
import type { DisplayError } from "@/lib/errors";
import { fmt } from "@/lib/format";
import { messages } from "@/lib/i18n";

import { ErrorNotice } from "./ErrorNotice";
import styles from "./workbench.module.css";

const text = messages.leaderboard;

/** A registry state as the page's language names it; a state it does not know, as it is. */
function stateName(state: string): string {
  return Object.hasOwn(text.states, state)
    ? text.states[state as keyof typeof text.states]
    : state.replace(/_/g, " ");
}

type RunsState =
  | { status: "loading" }
  | { status: "error"; error: DisplayError }
  | { status: "ready"; runs: RunSummary[] };

/** The registry's runs, best first by the promotion metric, with the champion marked. */
export function Leaderboard() {
  const [state, setState] = useState<RunsState>({ status: "loading" });

  useEffect(() => {
    let current = true;
    void fetchRuns().then((result) => {
      if (current) {
        setState(result.ok ? { status: "ready", runs: result.data } : { status: "error", error: result.error });
      }
    });
    return () => {
      current = false;
    };
  }, []);

  return (
    <section className={styles.card} aria-labelledby="runs-heading">
      <h2 id="runs-heading">{text.heading}</h2>
      {state.status === "loading" && <p className={styles.muted}>{text.loading}</p>}
      {state.status === "error" && <ErrorNotice error={state.error} testId="runs-error" />}
      {state.status === "ready" && state.runs.length === 0 && (
        <p className={styles.muted}>{text.empty}</p>
      )}
      {state.status === "ready" && state.runs.length > 0 && (
        <table className={styles.table} data-testid="leaderboard">
          <thead>
            <tr>
              <th scope="col">{text.rank}</th>
              <th scope="col">{text.run}</th>
              <th scope="col">{text.state}</th>
              <th scope="col">{text.metric}</th>
            </tr>
          </thead>
          <tbody>
            {state.runs.map((run, index) => (
              <tr
                key={run.run_id}
                className={run.champion ? styles.winner : undefined}
                data-testid={run.champion ? "champion" : undefined}
                title={run.reason ?? undefined}
              >
                <td className={styles.numeric}>{fmt.count(index + 1)}</td>
                <th scope="row">
                  <code>{run.run_id}</code>
                </th>
                <td>{run.champion ? text.champion : stateName(run.state)}</td>
                <td className={styles.numeric}>
                  {run.metric && run.value !== null ? `${run.metric} ${fmt.metric(run.value)}` : "–"}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
