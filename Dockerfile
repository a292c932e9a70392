# Slim, non-root image with a regular (non-editable) install of the gateway.
# Build: docker build -t intervals-gateway .   Run: see docs/deploy.md
# Reproducible builds pin the base image by digest (docs/deploy.md, "Pinning the base image"):
#   docker build --build-arg PYTHON_IMAGE=python:3.11-slim@sha256:<digest> -t intervals-gateway .
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE}

# GATEWAY_AUTO_MIGRATE=false: the CMD applies migrations once, before serve; several replicas
# run `intervals-gateway db upgrade` as a one-off job instead (docs/deploy.md).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GATEWAY_HOST=0.0.0.0 \
    GATEWAY_PORT=8000 \
    GATEWAY_DATA_DIR=/data \
    GATEWAY_AUTO_MIGRATE=false

RUN useradd --system --uid 10001 --home-dir /srv/gateway --shell /usr/sbin/nologin gateway \
    && mkdir -p /srv/gateway /data && chown gateway:gateway /data && chmod 700 /data

# The wheel carries the migrations (setup.py maps migrations/ into app.migrations); every
# dependency is pinned by constraints.txt. The sources are removed after the install.
COPY constraints.txt pyproject.toml setup.py README.md alembic.ini /tmp/src/
COPY app /tmp/src/app
COPY migrations /tmp/src/migrations
RUN pip install -c /tmp/src/constraints.txt /tmp/src && rm -rf /tmp/src

WORKDIR /srv/gateway
USER gateway
VOLUME ["/data"]
EXPOSE 8000
# Polls /healthz on the configured GATEWAY_PORT (not a hard-coded 8000).
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import os, sys, urllib.request; url = 'http://127.0.0.1:%s/healthz' % os.environ.get('GATEWAY_PORT', '8000'); sys.exit(0 if urllib.request.urlopen(url, timeout=2).status == 200 else 1)"

CMD ["sh", "-c", "intervals-gateway db upgrade && exec intervals-gateway serve"]
