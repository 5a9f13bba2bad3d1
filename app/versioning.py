"""Versions no model writes: a person's hand edit and a restored older version; and diffs between two.

Each is a new version, so nothing is ever overwritten or deleted: a hand edit
is attributed to the person (`model: "hand"`), a restore copies an older
version's page (`model: "restore"`) and, like a branch, has it as its parent.
"""

from __future__ import annotations

from typing import Any

from app.diffing import diff_pages
from app.errors import BadRequest, InvalidHTML
from app.settings import Settings
from app.store import Store, VersionRecord

MAX_NOTE = 500


class Versioning:
    """Hand edits, restores and diffs of one store's apps."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store

    async def _with_page(self, app_id: str, number: int) -> VersionRecord:
        await self.store.get_app(app_id)
        version = await self.store.get_version(app_id, number)
        if not version.html:
            why = "it is still being written" if version.status == "generating" else "its answer failed"
            raise BadRequest(f"Version {number} has no page ({why}): pick another version.")
        return version

    async def hand_edit(self, app_id: str, number: int, html: object, note: object = None) -> VersionRecord:
        """A new version whose page is `html`, edited by hand from version `number`."""
        base = await self._with_page(app_id, number)
        if not isinstance(html, str) or not html.strip():
            raise InvalidHTML("The page is empty: a hand edit saves the whole page as you edited it.")
        size = len(html.encode("utf-8"))
        if size > self.settings.max_html_bytes:
            raise InvalidHTML(f"The page is {size:,} bytes; the limit is {self.settings.max_html_bytes:,}. Make it smaller.")
        if html == base.html:
            raise BadRequest(f"The code is the same as version {number}'s: change it before saving.")
        if note is not None and not isinstance(note, str):
            raise BadRequest("“note” must be a string.")
        text = " ".join((note or "").split())[:MAX_NOTE] or "Edited the code by hand"
        return await self.store.create_version(
            app_id, parent_number=base.number, prompt=text, model="hand", system_prompt_hash=None, html=html, status="complete", kind="hand_edit"
        )

    async def restore(self, app_id: str, number: int) -> VersionRecord:
        """A new version with version `number`'s page; the versions after it stay as they are."""
        source = await self._with_page(app_id, number)
        return await self.store.create_version(
            app_id, parent_number=source.number, prompt=f"Restored v{number}", model="restore", system_prompt_hash=None, html=source.html, status="complete", kind="restore"
        )

    async def diff(self, app_id: str, old: int, new: int) -> dict[str, Any]:
        """What changed from version `old` to version `new`."""
        before, after = await self._with_page(app_id, old), await self._with_page(app_id, new)
        return {"from": old, "to": new, **diff_pages(before.html or "", after.html or "")}
