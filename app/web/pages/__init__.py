"""The pages people open: their apps and the editor, signing in and the account, what a share link shows."""
