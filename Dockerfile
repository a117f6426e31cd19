# gridops: one image for every role (`gridops connector|engine|live|operator ...`).
#
# The base image is a build argument so the image builds where no registry is reachable:
# hack/base-image.sh makes gridops-base:bookworm-py311 from a debootstrap root filesystem.
# With a registry, any Debian/Ubuntu image with python3.11 + venv works, e.g.
#   --build-arg BASE_IMAGE=python:3.11-slim-bookworm
#
# Build context: a directory with wheels/ holding the gridops wheel and all its
# dependencies (hack/image.sh runs `pip wheel` on the host), so the build itself needs
# no network. The legacy builder is enough (no BuildKit-only syntax).
ARG BASE_IMAGE=gridops-base:bookworm-py311
FROM ${BASE_IMAGE}

ENV VIRTUAL_ENV=/opt/gridops \
    PATH=/opt/gridops/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp

COPY wheels/ /tmp/wheels/
# byte-code is compiled at install time, so a read-only root filesystem costs nothing
RUN python3 -m venv /opt/gridops \
 && /opt/gridops/bin/python -m pip install --no-index --no-cache-dir --disable-pip-version-check \
      --find-links /tmp/wheels /tmp/wheels/*.whl \
 && /opt/gridops/bin/python -m compileall -q /opt/gridops/lib \
 && rm -rf /tmp/wheels \
 && groupadd --system --gid 10001 gridops \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin gridops \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/gridops \
 && gridops --help >/dev/null

# /var/lib/gridops is where state lives (the operator mounts its volume there); owned by
# gridops so that a new Docker named volume mounted on it starts writable by uid 10001.
USER 10001:10001
WORKDIR /tmp
# tini is PID 1 (which ignores unhandled signals, even kill -9): it forwards them to gridops and reaps zombies
ENTRYPOINT ["/usr/bin/tini", "--", "gridops"]
