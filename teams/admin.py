"""Nothing here on purpose: Person, Team and TeamMembership are tenant rows, and the admin would
query them with no organisation active (see docs/tenancy.md). HR edits them on the people pages."""
