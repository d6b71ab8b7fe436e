"""The project core: what every domain app stands on and nothing in it knows a domain app.

Tenancy (``tenancy``, ``rls``, ``checks``), the one service error (``errors``), change hooks
(``changes``), background jobs (``models.Job``, ``jobs``, ``tasks``), tabular uploads
(``tabular``), the API framework (``api``) and the degrading cache (``cache``). See
docs/architecture.md.
"""
