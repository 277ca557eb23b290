"""Readers: one module per input shape (bureau list, count table, claims extract) plus encoding and 和暦 helpers."""
