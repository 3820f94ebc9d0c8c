"use client";

import { useEffect, useState } from "react";

import { fetchRuns } from "@/lib/api-client";
import type { RunSummary } from "@/lib/api-types";
import type { DisplayError } from "@/lib/errors";
import { formatMetric } from "@/lib/format";

import { ErrorNotice } from "./ErrorNotice";
import styles from "./workbench.module.css";

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
      <h2 id="runs-heading">Leaderboard</h2>
      {state.status === "loading" && <p className={styles.muted}>Loading the runs…</p>}
      {state.status === "error" && <ErrorNotice error={state.error} testId="runs-error" />}
      {state.status === "ready" && state.runs.length === 0 && (
        <p className={styles.muted}>No run has been registered yet.</p>
      )}
      {state.status === "ready" && state.runs.length > 0 && (
        <table className={styles.table} data-testid="leaderboard">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Run</th>
              <th scope="col">State</th>
              <th scope="col">Metric</th>
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
                <td className={styles.numeric}>{index + 1}</td>
                <th scope="row">
                  <code>{run.run_id}</code>
                </th>
                <td>{run.champion ? "★ champion" : run.state.replace(/_/g, " ")}</td>
                <td className={styles.numeric}>
                  {run.metric && run.value !== null ? `${run.metric} ${formatMetric(run.value)}` : "–"}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
