import { messages } from "@/lib/i18n";

import { Workbench } from "./components/Workbench";
import styles from "./components/workbench.module.css";

/** The only page: the jury sees the served model and asks it for predictions. */
export default function HomePage() {
  return (
    <main className={styles.page}>
      <header className={styles.header}>
        <h1>{messages.page.heading}</h1>
        <p className={styles.muted}>{messages.page.intro}</p>
      </header>
      <Workbench />
    </main>
  );
}
