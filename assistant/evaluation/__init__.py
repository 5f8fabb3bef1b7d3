"""Offline evaluation: datasets, metrics, reports."""
