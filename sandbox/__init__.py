"""The sandbox host: serves generated apps from their own origin, under a strict CSP."""
