"""The helpers a chapter explains (its ``#@save`` cells) are, character for character, what d2lmini ships."""
import ast
import importlib
import inspect
import json
import pkgutil
import re
import textwrap
from pathlib import Path

import pytest

import d2lmini

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / 'notebooks').glob('*.ipynb'))
MODULES = [importlib.import_module(f'd2lmini.{m.name}') for m in pkgutil.iter_modules(d2lmini.__path__)]


def saved_definitions(notebook):
    """(name, source) of every top-level def/class in the notebook's #@save cells."""
    cells = json.loads(notebook.read_text(encoding='utf-8'))['cells']
    for cell in cells:
        source = ''.join(cell['source'])
        if cell['cell_type'] != 'code' or not source.startswith('#@save'):
            continue
        for node in ast.parse(source).body:
            if not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                raise AssertionError(f'{notebook.name}: a #@save cell may hold only defs and classes, '
                                     f'found {type(node).__name__} in:\n{source}')
            # Whole lines, decorators and a comment after the last statement included, as inspect gives
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            yield node.name, '\n'.join(source.splitlines()[first - 1:node.end_lineno])


def shipped_source(name):
    """Source of the d2lmini object of that name, from the module that defines it."""
    for module in MODULES:
        obj = getattr(module, name, None)
        if obj is not None and getattr(obj, '__module__', None) == module.__name__:
            return inspect.getsource(obj)
    raise AssertionError(f'{name} is shown in a chapter with #@save but d2lmini does not define it')


def test_there_are_chapters():
    assert len(NOTEBOOKS) >= 3


@pytest.mark.parametrize('notebook', NOTEBOOKS, ids=lambda p: p.stem)
def test_saved_cells_match_package(notebook):
    definitions = list(saved_definitions(notebook))
    for name, source in definitions:
        shipped = shipped_source(name)
        assert textwrap.dedent(source).rstrip() == shipped.rstrip(), (
            f'{notebook.name}: {name} differs from the d2lmini version; keep the two in step')
    names = [name for name, _ in definitions]
    assert len(names) == len(set(names)), f'{notebook.name} saves some helper twice: {names}'


def test_every_saved_helper_is_exported():
    """What a chapter saves is reachable as d2lmini.<name>, as in D2L's d2l.<name>."""
    for notebook in NOTEBOOKS:
        for name, _ in saved_definitions(notebook):
            assert hasattr(d2lmini, name), f'{name} (from {notebook.name}) is not exported by d2lmini/__init__.py'


def chapter_number(notebook):
    return int(notebook.name.split('-')[0])


def test_each_saved_helper_names_the_chapter_that_saves_it():
    """A helper's docstring ends with 'Defined in chapter N.', N being the chapter of its #@save cell,
    and no helper of the package names a chapter that does not save it (as D2L's 'Defined in')."""
    saved_in = {name: chapter_number(notebook) for notebook in NOTEBOOKS
                for name, _ in saved_definitions(notebook)}
    for name, chapter in saved_in.items():
        last = (inspect.getdoc(getattr(d2lmini, name)) or '').splitlines()[-1:]
        assert last == [f'Defined in chapter {chapter}.'], (
            f'the docstring of {name} should end with "Defined in chapter {chapter}."')
    for module in MODULES:
        for name, obj in vars(module).items():
            if getattr(obj, '__module__', None) != module.__name__ or not inspect.getdoc(obj):
                continue
            claims = re.findall(r'Defined in chapter (\d+)\.', inspect.getdoc(obj))
            assert not claims or saved_in.get(name) == int(claims[-1]), (
                f'{module.__name__}.{name} says it is defined in chapter {claims[-1]}, '
                f'but that chapter has no #@save cell for it')
