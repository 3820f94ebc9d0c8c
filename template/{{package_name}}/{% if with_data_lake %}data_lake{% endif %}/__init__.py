"""The data lake component: the buckets every other component reads and writes."""
