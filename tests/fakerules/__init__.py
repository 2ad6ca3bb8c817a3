"""Stand-in rule modules for the runner's tests (the real rules live in plugins/)."""
