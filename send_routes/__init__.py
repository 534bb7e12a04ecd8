"""The ``send-routes`` command line: the composition root that wires the optimiser, the outputs
and the service together. Nothing in ``optimiser``, ``maps`` or ``api`` imports it."""
