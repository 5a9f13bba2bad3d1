"""Toolsmith: describe a small tool, watch a model build it, iterate, keep every version."""
