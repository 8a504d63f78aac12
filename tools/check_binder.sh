#!/usr/bin/env bash
# Replays what Binder (repo2docker) does with .binder/, in a fresh virtual environment:
#   1. repo2docker's own Python 3.11 environment: its Jupyter packages at the versions of its lock
#      file (repo2docker 2026.4.0, buildpacks/conda/environment.py-3.11-linux-64.lock);
#   2. pip install -r .binder/requirements.txt (from the repository root, as repo2docker runs it);
#   3. .binder/postBuild, from the repository root;
# then pip check, `import d2lmini`, and one chapter executed in that environment's kernel.
#   tools/check_binder.sh WORKDIR [PYTHON]      (PYTHON: a Python 3.11, default python3.11)
# Needs the package index; takes a few minutes and about 1.3 GB in WORKDIR.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:?usage: tools/check_binder.sh WORKDIR [PYTHON]}
PY=${2:-python3.11}
REPO=$PWD
step() { echo "=== binder: $*"; }
rm -rf "$WORK" && mkdir -p "$WORK"
# A copy of the repository as Binder clones it: the tracked and untracked files, no .venv or _build.
mkdir -p "$WORK/repo"
tar -C "$REPO" --exclude=./.venv --exclude=./_build --exclude='*.egg-info' --exclude=./.git -cf - . | tar -C "$WORK/repo" -xf -
"$PY" -m venv "$WORK/env"
PIP=("$WORK/env/bin/python" -m pip)
t=$SECONDS
step "1. repo2docker's base environment"
"${PIP[@]}" install --quiet --upgrade pip
"${PIP[@]}" install --quiet jupyterlab==4.4.9 notebook==7.4.7 jupyter_server==2.17.0 'ipywidgets==8.*' \
    ipykernel==7.0.1 ipython==9.6.0 'jupyter-resource-usage==1.*' 'jupyter-offlinenotebook==0.3.*'
step "2. pip install -r .binder/requirements.txt ($((SECONDS - t)) s so far)"
(cd "$WORK/repo" && "${PIP[@]}" install --quiet -r .binder/requirements.txt)
step "3. .binder/postBuild ($((SECONDS - t)) s so far)"
(cd "$WORK/repo" && PATH="$WORK/env/bin:$PATH" bash .binder/postBuild)
step "pip check, import d2lmini, one chapter ($((SECONDS - t)) s so far)"
"${PIP[@]}" check
(cd "$WORK" && "$WORK/env/bin/python" -c 'import d2lmini, mxnet, ipykernel; print("d2lmini", d2lmini.__version__, "from", d2lmini.__file__, "| mxnet", mxnet.__version__, "| ipykernel", ipykernel.__version__)')
(cd "$WORK/repo/notebooks" && D2LMINI_MAX_EPOCHS=1 PATH="$WORK/env/bin:$PATH" "$WORK/env/bin/jupyter" nbconvert \
    --to notebook --execute 02-language-model-data.ipynb --output "$WORK/02-executed.ipynb" \
    --ExecutePreprocessor.timeout=600 --log-level=WARN)
echo "=== binder: passed in $((SECONDS - t)) s; environment $(du -sh "$WORK/env" | cut -f1)"
