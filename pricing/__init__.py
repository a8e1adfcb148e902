"""Prices for IaC resources: the shipped snapshot, lookups, estimators and refresh."""
