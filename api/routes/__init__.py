"""The HTTP routes, one module per resource. Handlers stay thin: they call the service modules."""
