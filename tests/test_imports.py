"""The project's modules depend on each other one way: no import cycle, not even through an import
inside a function (which Python allows at run time, but which hides a knot from the reader)."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def project_modules(root):
    """{dotted name: path} of d2lmini/*, benchmarks/*, book/_ext/* and tools/*.py."""
    paths = [*root.glob('d2lmini/*.py'), *root.glob('benchmarks/*.py'), *root.glob('book/_ext/*.py'),
             *root.glob('tools/*.py')]
    modules = {}
    for path in paths:
        parts = list(path.relative_to(root).with_suffix('').parts)
        if parts[-1] == '__init__':
            parts.pop()
        modules['.'.join(parts)] = path
    return modules


def imported_names(path, name, is_package):
    """(module name, relative?) of every import statement in the file, at any depth of the code."""
    package = name if is_package else name.rpartition('.')[0]
    for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'), str(path))):
        if isinstance(node, ast.Import):
            yield from ((alias.name, False) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                anchor = package.split('.')[:len(package.split('.')) - (node.level - 1)]
                base = '.'.join(anchor + ([node.module] if node.module else []))
            # `from pkg import name`: the module pkg.name if there is one, else pkg itself
            yield from ((f'{base}.{alias.name}', node.level > 0) for alias in node.names)


def import_graph(root):
    """{module: set of project modules it imports}. The Sphinx extensions in book/_ext are also
    importable by their bare names (Sphinx puts that folder on sys.path)."""
    modules = project_modules(root)
    aliases = {name.rpartition('.')[2]: name for name in modules if name.startswith('book._ext.')}
    graph = {}
    for name, path in modules.items():
        targets = set()
        for wanted, relative in imported_names(path, name, path.name == '__init__.py'):
            wanted = aliases.get(wanted, wanted)
            # the longest project module the name starts with: `a.b.c` imports a.b.c, or a.b, or a
            parts = wanted.split('.')
            for n in range(len(parts), 0, -1):
                candidate = '.'.join(parts[:n])
                if candidate in modules:
                    break
            else:
                continue
            # A module reading a name of its own package (`from . import BATCH_SIZE`) is no edge back:
            # the package's __init__ has run by then. `import d2lmini` inside d2lmini/ is one.
            if candidate != name and not (relative and name.startswith(candidate + '.')):
                targets.add(candidate)
        graph[name] = targets
    return graph


def find_cycle(graph):
    """One import cycle as a list [a, b, ..., a], or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = 'open'
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 'open':
                return stack[stack.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        state[node] = 'done'
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_graph_sees_the_project():
    graph = import_graph(ROOT)
    assert {'d2lmini', 'd2lmini.train', 'benchmarks.worker', 'book._ext.execution_status',
            'tools.run_notebooks'} <= set(graph)
    assert 'd2lmini.models' in graph['d2lmini'] and 'benchmarks.machine' in graph['benchmarks.worker']
    assert 'book._ext.execution_status' in graph['tools.run_notebooks']


def test_find_cycle_finds_one_through_a_function_level_import(tmp_path):
    (tmp_path / 'benchmarks').mkdir()
    (tmp_path / 'benchmarks' / '__init__.py').write_text('')
    (tmp_path / 'benchmarks' / 'a.py').write_text('from . import b\n')
    (tmp_path / 'benchmarks' / 'b.py').write_text('def f():\n    from .a import g\n')
    assert find_cycle(import_graph(tmp_path)) == ['benchmarks.a', 'benchmarks.b', 'benchmarks.a']


def test_no_import_cycle():
    cycle = find_cycle(import_graph(ROOT))
    assert cycle is None, 'import cycle: ' + ' -> '.join(cycle)
