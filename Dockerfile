# syntax=docker/dockerfile:1
# The install and start commands here are the README's (which CI runs); keep them the same.

FROM python:3.11-slim-bookworm AS build
WORKDIR /app
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml requirements.lock README.md ./
COPY bot ./bot
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install -c requirements.lock .

FROM python:3.11-slim-bookworm
RUN useradd --create-home --uid 10001 bot
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=bot:bot intents ./intents
# For operators' `alembic current` / `alembic upgrade head` (the bot upgrades by itself).
COPY alembic.ini ./
RUN mkdir -p /app/.state && chown bot:bot /app/.state
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    BOT_CONTENT_DIR=/app/intents \
    BOT_STATE_DIR=/app/.state \
    BOT_LISTEN=0.0.0.0
USER 10001
# Fit the classifier once at build time: its arrays land in the state folder, so the first
# start loads them instead of importing scikit-learn and fitting (see benchmarks/classify.py).
RUN python -m bot classify "warm-up" > /dev/null
# The SQLite database, the model cache and the heartbeat live here.
VOLUME ["/app/.state"]
EXPOSE 8080
# Healthy while the bot process keeps reaching the Bot API (it touches a heartbeat file).
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "health"]
CMD ["python", "-m", "bot", "run"]
