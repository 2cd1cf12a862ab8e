"""A local JustiFi-compatible API with simulated card terminals.

It stands for a foreign system, so it imports nothing from the rest of
`pos_app`: a wrong field name cannot hide by being wrong on both sides.

The package itself imports nothing, so the till can read the demo credentials
(`engine`) or start the sandbox as a child process (`remote`) without loading
the web server: `api.create_app`, `engine.SandboxConfig`, `server.serving`.
"""
