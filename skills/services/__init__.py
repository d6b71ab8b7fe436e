"""Writes of the skills domain, one module per area: ``scale``, ``framework`` and ``ratings``."""
