"""Readers: one module per input shape (bureau list, count table, claims extract), plus
encoding detection and 和暦 helpers."""
