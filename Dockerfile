# Production image: gunicorn serving the Django app, static files by WhiteNoise.
# Configuration comes from the environment at run time (see .env.example).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STATIC_ROOT=/app/var/static

# An unprivileged system user runs the service; the code stays owned by root.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies and packages first, so editing manage.py or the gunicorn
# settings does not reinstall everything.
COPY pyproject.toml README.md ./
COPY accounts/ accounts/
COPY changes/ changes/
COPY ctht_api/ ctht_api/
COPY dashboard/ dashboard/
COPY events/ events/
COPY people/ people/
RUN pip install --no-cache-dir . \
    && rm -rf build ./*.egg-info

COPY manage.py gunicorn.conf.py ./
COPY docker/entrypoint.sh docker/entrypoint.sh

# The settings refuse to load without SECRET_KEY and ALLOWED_HOSTS when DEBUG is
# off: these throwaway values exist for this one command and are not kept in
# the image. var/ belongs to the app user (only used if no DATABASE_URL is set).
RUN SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost \
       python manage.py collectstatic --noinput \
    && chmod 0755 docker/entrypoint.sh \
    && chown app:app /app/var

USER app

EXPOSE 8000

# No curl in the slim image: probe with the standard library. The Host header is
# the first name in ALLOWED_HOSTS, so Django does not answer 400 to the probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; h = os.environ.get('ALLOWED_HOSTS', 'localhost').split(',')[0].strip().lstrip('*.') or 'localhost'; u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': h}), timeout=4)"]

ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["gunicorn", "--config", "gunicorn.conf.py", "ctht_api.wsgi:application"]
