"""The monitoring component: one notification topic, the alarms of the other components, a
dashboard and a budget per environment."""
