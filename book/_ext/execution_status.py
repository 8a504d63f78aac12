"""Sphinx extension: the ``execution-status`` directive, a table of how each chapter's outputs were made.

For every notebook page of the book it reads the record that ``tools/run_notebooks.py`` (``make
notebooks``) stored in the notebook's metadata under ``RECORD_KEY`` (finish time, wall time,
device, versions). A notebook without such a record
falls back to the execution timestamps that Jupyter stores with each cell, and its device is shown
as not recorded. Nothing in the table is typed by hand.
"""
import datetime
import json
import os
import re

import yaml

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

RECORD_KEY = 'd2lmini_run'  # the notebook-metadata key of the run record (written by tools/run_notebooks.py)


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))


def run_summary(nb):
    """(finished, seconds, device, versions, source) for one notebook, or None if it never ran."""
    record = nb.get('metadata', {}).get(RECORD_KEY)
    if record:
        return (parse_time(record['finished']), record['seconds'], record['device'],
                f"Python {record['python']}, MXNet {record['mxnet']}", 'run record')
    times = [cell['metadata']['execution'] for cell in nb['cells']
             if cell['cell_type'] == 'code' and 'execution' in cell.get('metadata', {})]
    if not times:
        return None
    start = parse_time(times[0]['iopub.execute_input'])
    end = parse_time(times[-1]['shell.execute_reply'])
    return end, (end - start).total_seconds(), 'not recorded', 'not recorded', 'cell timestamps'


def format_seconds(seconds):
    minutes, seconds = divmod(round(seconds), 60)
    return f'{minutes} min {seconds:02d} s' if minutes else f'{seconds} s'


class ExecutionStatus(SphinxDirective):
    """A table with one row per notebook page, in table-of-contents order."""

    def run(self):
        env = self.env
        rows = ['| Chapter | Outputs produced (UTC) | Wall time | Device | Software | From |',
                '|---|---|---|---|---|---|']
        for docname in self.notebook_docnames():
            path = env.doc2path(docname)
            env.note_dependency(str(path))
            with open(path, encoding='utf-8') as f:
                nb = json.load(f)
            summary = run_summary(nb)
            link = f'{{doc}}`/{docname}`'
            if summary is None:
                rows.append(f'| {link} | never run | | | | |')
                continue
            finished, seconds, device, software, source = summary
            rows.append(f"| {link} | {finished:%Y-%m-%d %H:%M} | {format_seconds(seconds)} | "
                        f'{device} | {software} | {source} |')
        container = nodes.container()
        self.state.nested_parse(StringList(rows, source=self.get_source_info()[0]), self.content_offset,
                                container)
        return container.children

    def notebook_docnames(self):
        """Notebook pages in the order of _toc.yml, then any other notebook page."""
        ordered = []

        def visit(entries):
            for entry in entries or []:
                if 'file' in entry:
                    ordered.append(re.sub(r'\.(md|ipynb)$', '', entry['file']))
                visit(entry.get('chapters') or entry.get('sections'))
        toc_path = os.path.join(self.env.srcdir, '_toc.yml')
        if os.path.exists(toc_path):
            with open(toc_path, encoding='utf-8') as f:
                toc = yaml.safe_load(f)
            visit(toc.get('parts') or toc.get('chapters'))
        ordered += sorted(d for d in self.env.found_docs if d not in ordered)
        return [d for d in ordered if d in self.env.found_docs
                and str(self.env.doc2path(d)).endswith('.ipynb')]


def setup(app):
    app.add_directive('execution-status', ExecutionStatus)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
