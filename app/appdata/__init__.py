"""What apps keep in localStorage, per app and per person, so it lasts across reloads, restarts and new versions."""

from app.appdata.items import MAX_KEYS, chars_of, check_items
from app.appdata.store import AppData, SavedData

__all__ = ["MAX_KEYS", "AppData", "SavedData", "chars_of", "check_items"]
