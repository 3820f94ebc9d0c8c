import { Workbench } from "./components/Workbench";
import styles from "./components/workbench.module.css";

/** The only page: the jury sees the served model and asks it for predictions. */
export default function HomePage() {
  return (
    <main className={styles.page}>
      <header className={styles.header}>
        <h1>Datathon model</h1>
        <p className={styles.muted}>
          The model currently promoted by the team&apos;s pipeline. Enter feature values and press Predict, or score a CSV file.
        </p>
      </header>
      <Workbench />
    </main>
  );
}
