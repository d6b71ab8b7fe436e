"""Pages of the skills domain, one module per area; their routes are in skills/urls.py."""
