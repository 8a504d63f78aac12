"""The Binder launch button: its address comes from the clone's origin remote (book/_ext/launch_from_git.py)."""
import pathlib
import subprocess
import sys

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'book' / '_ext'))
import launch_from_git  # noqa: E402

JUPYTER_BOOK = pathlib.Path(sys.executable).with_name('jupyter-book')


@pytest.mark.parametrize('remote, expected', [
    ('https://github.com/stat157/rnn-book.git', 'https://github.com/stat157/rnn-book'),
    ('https://github.com/stat157/rnn-book', 'https://github.com/stat157/rnn-book'),
    ('git@github.com:stat157/rnn-book.git', 'https://github.com/stat157/rnn-book'),
    ('ssh://git@gitlab.com/course/rnn.book.git', 'https://gitlab.com/course/rnn.book'),
    ('/work/main', None),                                        # a local clone: no public address
    ('https://token@github.com/stat157/rnn-book.git', None),    # credentials: never put into pages
    ('https://git.example.edu/stat157/rnn-book.git', None),     # Binder's gh/gl shortcuts only
    ('', None),
])
def test_public_repository(remote, expected):
    assert launch_from_git.public_repository(remote) == expected


def build_tiny_book(path, remote, config=''):
    """A one-notebook book using the extension, in a git clone whose origin is ``remote``."""
    (path / '_config.yml').write_text(
        'title: tiny\nexecute:\n  execute_notebooks: "off"\n' + config +
        'launch_buttons:\n  notebook_interface: jupyterlab\n  binderhub_url: ""\n'
        f'sphinx:\n  local_extensions:\n    launch_from_git: {ROOT / "book" / "_ext"}\n')
    (path / '_toc.yml').write_text('format: jb-book\nroot: intro\nchapters:\n- file: notebooks/nb\n')
    (path / 'intro.md').write_text('# Intro\n')
    nb = nbformat.v4.new_notebook(metadata={
        'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'},
        'language_info': {'name': 'python'}})
    nb.cells = [nbformat.v4.new_markdown_cell('# A chapter'), nbformat.v4.new_code_cell('1 + 1')]
    (path / 'notebooks').mkdir()
    nbformat.write(nb, path / 'notebooks' / 'nb.ipynb')
    subprocess.run(['git', 'init', '-q', '-b', 'spring-2027', str(path)], check=True)
    if remote:
        subprocess.run(['git', '-C', str(path), 'remote', 'add', 'origin', remote], check=True)
    proc = subprocess.run([str(JUPYTER_BOOK), 'build', str(path), '-W', '-n', '-q'], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return (path / '_build' / 'html' / 'notebooks' / 'nb.html').read_text(encoding='utf-8')


def test_public_clone_gets_a_binder_button_for_each_notebook(tmp_path):
    html = build_tiny_book(tmp_path, 'git@github.com:stat157/rnn-book.git')
    assert ('https://mybinder.org/v2/gh/stat157/rnn-book/spring-2027?urlpath=lab/tree/notebooks/nb.ipynb'
            in html)
    assert 'href="https://github.com/stat157/rnn-book"' in html  # the repository button


def test_local_clone_gets_no_launch_button(tmp_path):
    html = build_tiny_book(tmp_path, '/somewhere/on/disk/rnn-book')
    assert 'mybinder.org' not in html and 'executablebooks/jupyter-book' not in html


def test_address_in_the_configuration_wins(tmp_path):
    html = build_tiny_book(tmp_path, 'https://github.com/someone/else.git',
                           'repository:\n  url: https://github.com/course-fork/rnn-book\n  branch: fall\n')
    assert 'https://mybinder.org/v2/gh/course-fork/rnn-book/fall?urlpath=lab/tree/notebooks/nb.ipynb' in html
    assert 'someone/else' not in html
