"""Evals: the same tool prompts through any models, each page put through functional checks in the browser."""

from app.evals.runs import in_suite_order
from app.evals.service import Evals
from app.evals.stats import summarize, table, wilson
from app.evals.suite import Suite, builtin_suites, load_builtin, parse_suite

__all__ = ["Evals", "Suite", "builtin_suites", "in_suite_order", "load_builtin", "parse_suite", "summarize", "table", "wilson"]
