"""aidbooks.reports: aggregate the books, apply disclosure control, render, manifest."""
