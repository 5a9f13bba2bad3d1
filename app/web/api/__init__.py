"""The JSON API of apps and versions, share links and one's account (docs/api.md)."""
