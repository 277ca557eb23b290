"""Test-input factories: small real-shaped files built in code (one module per input shape)."""
