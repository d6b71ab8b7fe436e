#!/usr/bin/env bash
# /docker-entrypoint-initdb.d hook of the postgres image: runs once, on an empty data volume,
# as the image's superuser, and creates skillsmap's owner and application roles.
set -euo pipefail
: "${SKILLSMAP_OWNER_PASSWORD:?set SKILLSMAP_OWNER_PASSWORD}"
: "${SKILLSMAP_APP_PASSWORD:?set SKILLSMAP_APP_PASSWORD}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner_password="$SKILLSMAP_OWNER_PASSWORD" -v app_password="$SKILLSMAP_APP_PASSWORD" \
  -f /docker-entrypoint-initdb.d/create-roles.sql.in
