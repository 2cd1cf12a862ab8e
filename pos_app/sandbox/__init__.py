"""A local JustiFi-compatible API with simulated card terminals.

It stands for a foreign system, so it imports nothing from the rest of
`pos_app`: a wrong field name cannot hide by being wrong on both sides.
"""

from pos_app.sandbox.api import create_app
from pos_app.sandbox.engine import SandboxConfig
from pos_app.sandbox.server import serving

__all__ = ["SandboxConfig", "create_app", "serving"]
