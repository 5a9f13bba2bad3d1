"""What happens to versions besides generating them: hand edits, restores, imports, diffs, exports, downloads."""

from app.versions.changes import Versioning
from app.versions.download import standalone_page
from app.versions.naming import check_title
from app.versions.transfer import export_app, import_export, is_export, remix

__all__ = ["Versioning", "check_title", "export_app", "import_export", "is_export", "remix", "standalone_page"]
