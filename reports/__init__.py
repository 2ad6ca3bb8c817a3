"""Transparency reports."""
