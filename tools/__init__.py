"""Scripts behind make (the notebook runner is run as ``python -m tools.run_notebooks``)."""
