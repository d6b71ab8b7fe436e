"""Reads of the skills domain, one module per area: ``framework`` and ``ratings``."""
