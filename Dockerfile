# One image for every GhostNet-Py daemon; the compose file picks the module to run.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY libs ./libs
COPY services ./services
RUN pip install --no-cache-dir .
ENV GHOSTNET_STATE_DIR=/state
VOLUME ["/state"]
ENTRYPOINT ["python", "-m"]
