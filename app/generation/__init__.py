"""One generation from prompt to saved version: prompts, providers, the live stream, reading the answer."""

from app.generation.extract import extract_page, partial_page
from app.generation.fixes import check_errors
from app.generation.generator import Generator, title_of_page
from app.generation.live import LiveRuns
from app.generation.models import ModelRegistry
from app.generation.selection import check_selection

__all__ = ["Generator", "LiveRuns", "ModelRegistry", "check_errors", "check_selection", "extract_page", "partial_page", "title_of_page"]
