"""One generation from prompt to saved version: prompts, providers, the live stream, reading the answer."""

from app.generation.extract import extract_page, partial_page
from app.generation.fixes import check_errors
from app.generation.generator import Generator, title_of_page
from app.generation.live import LiveRuns, Preview
from app.generation.models import ModelRegistry
from app.generation.queue import GenerationQueue
from app.generation.redis_live import RedisLiveRuns
from app.generation.selection import check_selection
from app.generation.workers import QueueWork

__all__ = ["GenerationQueue", "Generator", "LiveRuns", "ModelRegistry", "Preview", "QueueWork", "RedisLiveRuns", "check_errors", "check_selection", "extract_page", "partial_page", "title_of_page"]
