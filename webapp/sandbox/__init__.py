"""The sandbox: Bria's API as the app uses it, built in, for when no token is set and for tests."""

from webapp.sandbox.adapter import SandboxAdapter
from webapp.sandbox.api import SANDBOX_BASE_URL, SANDBOX_TOKEN, FakeBria
from webapp.sandbox.replies import Reply

__all__ = ["SANDBOX_BASE_URL", "SANDBOX_TOKEN", "FakeBria", "Reply", "SandboxAdapter"]
