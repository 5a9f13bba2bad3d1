"""Who may use Toolsmith and what they may see: people, sessions, API tokens, share links, signatures."""

from app.accounts.passwords import MAX_LENGTH
from app.accounts.shares import Shared, Shares
from app.accounts.signing import Signer
from app.accounts.users import SESSION_LIFETIME, SIGNIN_LINK_LIFETIME, Accounts, UserRecord

__all__ = ["MAX_LENGTH", "SESSION_LIFETIME", "SIGNIN_LINK_LIFETIME", "Accounts", "Shared", "Shares", "Signer", "UserRecord"]
