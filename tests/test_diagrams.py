"""The diagrams in book/figures are what tools/diagrams.py draws, and every one is used by a chapter.

After changing tools/diagrams.py, run ``make diagrams`` and commit the SVG files with it.
"""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / 'book' / 'figures'
SCRIPT = ROOT / 'tools' / 'diagrams.py'
# A figure drawn for a chapter that is still being written: it must be used as soon as the chapter
# exists (name of the figure: stem of the chapter's notebook).
PENDING = {'training-splits.svg': '13-training-well'}


def markdown_of_chapters():
    """{notebook name: the text of its markdown cells}, and the book's own pages."""
    texts = {}
    for path in sorted((ROOT / 'notebooks').glob('*.ipynb')):
        cells = json.loads(path.read_text(encoding='utf-8'))['cells']
        texts[path.name] = '\n'.join(''.join(c['source']) for c in cells if c['cell_type'] == 'markdown')
    for path in sorted((ROOT / 'book').glob('*.md')):
        texts[f'book/{path.name}'] = path.read_text(encoding='utf-8')
    return texts


@pytest.fixture(scope='module')
def drawn(tmp_path_factory):
    out = tmp_path_factory.mktemp('figures')
    subprocess.run([sys.executable, str(SCRIPT), '--out', str(out)], check=True, cwd=ROOT,
                   capture_output=True, text=True)
    return out


def test_committed_figures_are_what_the_script_draws(drawn):
    committed = {p.name for p in FIGURES.glob('*.svg')}
    produced = {p.name for p in drawn.glob('*.svg')}
    assert produced, 'tools/diagrams.py drew nothing'
    assert committed == produced, (
        f'book/figures and tools/diagrams.py disagree: only committed {sorted(committed - produced)}, '
        f'only drawn {sorted(produced - committed)}; run make diagrams (and delete stale files)')
    changed = [name for name in sorted(produced)
               if (drawn / name).read_bytes() != (FIGURES / name).read_bytes()]
    assert not changed, f'{changed} differ from what tools/diagrams.py draws now: run make diagrams'


def test_every_figure_is_used_by_a_chapter():
    texts = markdown_of_chapters()
    chapters = {Path(name).stem for name in texts}
    orphans = []
    for path in sorted(FIGURES.glob('*.svg')):
        users = [name for name, text in texts.items() if f'figures/{path.name}' in text]
        if users:
            continue
        if path.name in PENDING and PENDING[path.name] not in chapters:
            continue  # its chapter does not exist yet
        orphans.append(path.name)
    assert not orphans, f'figures no chapter refers to: {orphans}'


def test_every_figure_a_chapter_refers_to_exists():
    missing = []
    for name, text in markdown_of_chapters().items():
        for match in re.finditer(r'figures/([\w.-]+\.svg)', text):
            if not (FIGURES / match.group(1)).exists():
                missing.append(f'{name}: {match.group(0)}')
    assert not missing, f'figures referred to but not in book/figures: {missing}'


def test_figures_are_referred_to_by_a_path_that_resolves():
    """From notebooks/ the figures are ../book/figures/...; a page in book/ uses figures/..."""
    wrong = []
    for name, text in markdown_of_chapters().items():
        prefix = '' if name.startswith('book/') else '../book/'
        for match in re.finditer(r'\{figure\}\s*(\S+)', text):
            target = match.group(1)
            if 'figures/' in target and target != prefix + 'figures/' + target.split('figures/')[1]:
                wrong.append(f'{name}: {target}')
    assert not wrong, f'figure paths that do not resolve from their page: {wrong}'
