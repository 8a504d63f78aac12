# A container that builds the book and runs its tests: Debian 12 with what `make` sets up itself.
#   docker build -t rnn-book .
#   docker run --rm rnn-book                  # make test (needs network for the corpora, or mount
#                                             # them: -v /path/to/corpora:/data -e D2LMINI_DATA=/data)
#   docker run --rm -v "$PWD/_build:/book/_build" rnn-book make book        # the book into ./_build/html
#   docker run --rm -it -p 8888:8888 rnn-book .venv/bin/jupyter lab --ip=0.0.0.0 --allow-root --no-browser
# On Apple Silicon add --platform linux/amd64 to both docker build and docker run: the aarch64 mxnet
# wheel needs Arm Performance Libraries that no package provides (see book/installation.md).
# .devcontainer/devcontainer.json builds the same image for VS Code and GitHub Codespaces.
FROM debian:bookworm-slim

# make and git, then the system part of the set-up (tools/bootstrap.sh system, as root):
# python3.11 and python3.11-venv, libgomp1 and libquadmath0 (mxnet), chromium and chromium-driver.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends make git ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /book
COPY tools/ tools/
RUN tools/bootstrap.sh system && rm -rf /var/lib/apt/lists/*

# .venv from requirements.txt (a layer of its own: rebuilt only when the requirements change).
COPY requirements.txt pyproject.toml Makefile ./
COPY d2lmini/ d2lmini/
RUN make venv && rm -rf /root/.cache/pip

COPY . .
CMD ["make", "test"]
