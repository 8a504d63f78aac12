"""Binder launch buttons whose address comes from the clone the book is built from.

Jupyter Book draws a "launch on Binder" button only when it knows the public repository
(``repository.url`` in _config.yml). This book does not write an address into its configuration:
at build time it reads the ``origin`` remote of the git clone. Built from a clone of a public
GitHub or GitLab repository, every notebook page gets a Binder button that opens that notebook of
that repository (environment: .binder/, Python 3.11 and requirements.txt); built from a local copy
or a private address, the page has no launch button rather than one that leads nowhere.
A ``repository.url`` written in _config.yml still wins.
"""
import re
import subprocess

BINDERHUB_URL = 'https://mybinder.org'
JUPYTER_BOOK_DEFAULT = 'https://github.com/executablebooks/jupyter-book'  # what Jupyter Book fills in

# https://github.com/owner/repo(.git), git@github.com:owner/repo(.git), ssh://git@gitlab.com/owner/repo
_PUBLIC = re.compile(r'^(?:https://|ssh://git@|git@)(github\.com|gitlab\.com)[:/]'
                     r'([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)(?:\.git)?/?$')


def public_repository(remote_url):
    """'https://github.com/owner/repo' for a GitHub or GitLab remote address, else None."""
    match = _PUBLIC.match((remote_url or '').strip())
    if not match:
        return None
    host, owner, repo = match.groups()
    return f'https://{host}/{owner}/{repo}'


def _git(srcdir, *args):
    try:
        out = subprocess.run(['git', '-C', str(srcdir), *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ''
    return out.stdout.strip() if out.returncode == 0 else ''


def launch_options(srcdir):
    """The theme options for the clone's public ``origin`` (address, branch), or {} if there is none."""
    repository = public_repository(_git(srcdir, 'remote', 'get-url', 'origin'))
    if repository is None:
        return {}
    branch = _git(srcdir, 'symbolic-ref', '--short', 'HEAD')  # '' on a detached HEAD (as in CI checkouts)
    return {'repository_url': repository, 'repository_branch': branch or 'main', 'use_repository_button': True}


def configure(app, config):
    options = config.html_theme_options
    written = options.get('repository_url') not in (None, '', JUPYTER_BOOK_DEFAULT)
    found = {} if written else launch_options(app.srcdir)  # an address written in _config.yml wins
    if not (written or found):
        return  # no public repository known: no launch button
    options.update(found)
    buttons = dict(options.get('launch_buttons') or {})
    buttons['binderhub_url'] = buttons.get('binderhub_url') or BINDERHUB_URL
    options['launch_buttons'] = buttons


def setup(app):
    app.connect('config-inited', configure)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
