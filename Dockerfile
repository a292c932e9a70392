# Slim, non-root image. Migrations are applied at start (`db upgrade`) before serving.
# Build: docker build -t intervals-gateway .   Run: see docs/deploy.md
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GATEWAY_HOST=0.0.0.0 \
    GATEWAY_PORT=8000 \
    GATEWAY_DATA_DIR=/data

RUN useradd --system --uid 10001 --home-dir /srv/gateway --shell /usr/sbin/nologin gateway \
    && mkdir -p /srv/gateway /data && chown gateway:gateway /data

WORKDIR /srv/gateway
COPY constraints.txt pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
RUN pip install -c constraints.txt -e . && python -m compileall -q app migrations

USER gateway
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"

CMD ["sh", "-c", "intervals-gateway db upgrade && exec intervals-gateway serve"]
