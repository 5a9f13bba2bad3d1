"""Whether what the model built works: every version's page run in headless Chromium, its problems and thumbnail kept."""

from app.checks.browser import Action, Expectation, Job
from app.checks.problems import KINDS, Outcome, Problem
from app.checks.service import Checks
from app.checks.store import CheckRecord, CheckStore, PassRate

__all__ = ["KINDS", "Action", "CheckRecord", "CheckStore", "Checks", "Expectation", "Job", "Outcome", "PassRate", "Problem"]
