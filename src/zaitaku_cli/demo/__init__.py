"""Generators of realistic synthetic sample inputs (bundled demo data, benchmarks)."""
