"""What happens to versions besides generating them: hand edits, restores, imports, diffs, exports, downloads."""

from app.versions.changes import Versioning
from app.versions.download import standalone_page
from app.versions.transfer import export_app, import_export, is_export, remix

__all__ = ["Versioning", "export_app", "import_export", "is_export", "remix", "standalone_page"]
