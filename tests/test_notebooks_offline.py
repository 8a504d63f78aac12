"""With no network and an empty cache, every notebook stops at its first data cell with a clear message.

Each notebook is executed cell by cell in a fresh kernel whose environment has no D2LMINI_DATA, an
empty D2LMINI_CACHE, and a proxy setting that points every download at a closed local port (so the
test behaves the same whether or not the machine is online). The cells before the first one that
reads a corpus must run; that cell must raise CorpusUnavailableError naming the file, its address
and the folder to put it in. A notebook that reads no corpus (chapter 1's synthetic data) must run
to the end.
"""
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

import d2lmini

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / 'notebooks').glob('*.ipynb'))
DATA_CALL = re.compile(r'\b(load_data_\w+|read_time_machine|load_corpus_\w+|read_corpus)\(')


def first_data_cell(nb):
    """Index of the first code cell that reads a corpus, or None (#@save cells only define)."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == 'code' and not cell.source.startswith('#@save') \
                and DATA_CALL.search(cell.source):
            return index
    return None


@pytest.mark.parametrize('path', NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_offline_with_empty_cache_fails_clearly_at_first_data_cell(path, tmp_path, monkeypatch):
    monkeypatch.delenv('D2LMINI_DATA', raising=False)
    monkeypatch.setenv('D2LMINI_CACHE', str(tmp_path / 'cache'))
    for name in ('http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY'):
        monkeypatch.setenv(name, 'http://127.0.0.1:9')  # nothing listens there: connection refused
    for name in ('no_proxy', 'NO_PROXY'):
        monkeypatch.delenv(name, raising=False)
    nb = nbformat.read(path, as_version=4)
    target = first_data_cell(nb)
    client = NotebookClient(nb, timeout=300, kernel_name='python3',
                            resources={'metadata': {'path': str(path.parent)}})
    if target is None:  # no corpus: the whole notebook must run offline
        client.execute()
        return
    with client.setup_kernel():
        for index in range(target):
            cell = nb.cells[index]
            if cell.cell_type == 'code':
                client.execute_cell(cell, index)  # raises if a cell before the data cell fails
        with pytest.raises(CellExecutionError) as failure:
            client.execute_cell(nb.cells[target], target)
    error = failure.value
    assert error.ename == 'CorpusUnavailableError', f'cell {target} raised {error.ename}: {error.evalue}'
    names = [c for c in d2lmini.CORPORA.values() if c.filename in error.evalue]
    assert len(names) == 1, error.evalue
    assert names[0].url in error.evalue and str(tmp_path / 'cache') in error.evalue
    assert 'D2LMINI_DATA' in error.evalue
