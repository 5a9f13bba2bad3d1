"""Versions no model writes: a person's hand edit, a restored older version, an imported page; and diffs between two.

Each is a new version, so nothing is ever overwritten or deleted: a hand edit
is attributed to the person (`model: "hand"`), a restore copies an older
version's page (`model: "restore"`) and, like a branch, has it as its parent.
"""

from __future__ import annotations

from typing import Any

from app.errors import BadRequest, InvalidHTML
from app.generation import extract_page, title_of_page
from app.settings import Settings
from app.storage import AppRecord, Store, VersionRecord
from app.versions.bundle import Bundle
from app.versions.diff import diff_pages
from app.versions.download import app_of_download

MAX_NOTE = 500


class Versioning:
    """Hand edits, restores, imported pages and diffs of one store's apps."""

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
        version = await self.store.create_version(
            app_id, parent_number=base.number, prompt=text, model="hand", system_prompt_hash=None, html=html, status="complete", kind="hand_edit"
        )
        await self._follow_title(app_id, base.html, html)
        return version

    async def restore(self, app_id: str, number: int) -> VersionRecord:
        """A new version with version `number`'s page; the versions after it stay as they are."""
        source = await self._with_page(app_id, number)
        newest = max(await self.store.list_versions(app_id), key=lambda v: v.number)
        version = await self.store.create_version(
            app_id, parent_number=source.number, prompt=f"Restored v{number}", model="restore", system_prompt_hash=None, html=source.html, status="complete", kind="restore"
        )
        await self._follow_title(app_id, newest.html, source.html or "")
        return version

    async def _follow_title(self, app_id: str, before: str | None, after: str) -> None:
        """A change of the page's <title> renames the app, unless its owner named it."""
        title = title_of_page(after)
        if title and title != title_of_page(before or ""):
            await self.store.follow_page_title(app_id, title)

    async def diff(self, app_id: str, old: int, new: int) -> dict[str, Any]:
        """What changed from version `old` to version `new`."""
        before, after = await self._with_page(app_id, old), await self._with_page(app_id, new)
        return {"from": old, "to": new, **diff_pages(before.html or "", after.html or "")}

    async def import_bundle(self, bundle: Bundle, title: object = None, *, owner_id: str) -> tuple[AppRecord, VersionRecord]:
        """A new app of `owner_id` whose version 1 is a folder's or zip's page, with the files it names
        (app.versions.bundle), written together: the app, its version and its files, or nothing."""
        return await self.import_page(bundle.html, title, owner_id=owner_id, bundle=bundle)

    async def import_page(self, html: object, title: object = None, *, owner_id: str, bundle: Bundle | None = None) -> tuple[AppRecord, VersionRecord]:
        """A new app of `owner_id` whose version 1 is an existing HTML page."""
        if not isinstance(html, str) or not html.strip():
            raise InvalidHTML("The page is empty: paste or upload an HTML document.")
        html = app_of_download(html) or html  # a downloaded app: the app, not the frame around it
        size = len(html.encode("utf-8"))
        if size > self.settings.max_html_bytes:
            raise InvalidHTML(f"The page is {size:,} bytes; the limit is {self.settings.max_html_bytes:,}. Import a smaller page.")
        if title is not None and not isinstance(title, str):
            raise BadRequest("“title” must be a string.")
        # A file is kept exactly as written: what a browser opening it reads. The extractor of model
        # answers would take a page that starts with <style>, or holds a document in a JavaScript
        # string, for an answer and keep only part of it. Text around a page (a model's answer
        # pasted whole) gives the page in it.
        is_file = html.lstrip("\ufeff \t\r\n").startswith("<")
        page = html if is_file else extract_page(html).html or "<!DOCTYPE html>\n" + html.strip()
        name = (title or "").strip() or title_of_page(page) or "Imported page"
        files = bundle.files if bundle is not None else None
        return await self.store.create_app(
            title=name, prompt=f"Imported “{name}”", model="import", system_prompt_hash=None, html=page, status="complete", kind="import", owner_id=owner_id, files=files
        )
