"""The planning service: an HTTP API over the same ``optimiser`` and ``maps`` code as the CLI.

``api.main.create_app`` builds the application; ``send_routes.serve.serve`` and
``send_routes.users.app`` are the ``send-routes serve`` and ``send-routes users`` commands. See
``docs/api.md``.
"""
