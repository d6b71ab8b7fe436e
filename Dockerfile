# One image for web, worker and beat (docker-compose.yml picks the command).
FROM node:20-slim AS frontend
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=skillsmap.settings.production

WORKDIR /app
COPY requirements/base.txt requirements/base.txt
RUN pip install --no-cache-dir -r requirements/base.txt
COPY . .
# The skill library ships in the repository; the migrate service imports it from here.
RUN test -s "skills/library_data/onet-29.3/Skills.txt.gz"
COPY --from=frontend /app/node_modules node_modules
# collectstatic needs a key to import settings; the real one comes from the environment at run time.
RUN SECRET_KEY=build-only SSO_SECRET_KEY=build-only python manage.py collectstatic --noinput

RUN useradd --system --uid 1000 skillsmap
USER skillsmap
EXPOSE 8000
CMD ["gunicorn", "skillsmap.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
