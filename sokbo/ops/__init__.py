"""What the operator sees: `sokbo status` (last runs, locks, next runs), the
extraction-health alerts, the end-of-crawl summary, and the preflight checks."""
