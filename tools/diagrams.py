"""Draw the book's diagrams as SVG files (``make diagrams``), with matplotlib only.

Every figure in book/figures/ is drawn here, from code: nothing is drawn by hand or copied.
The output is the same, byte for byte, on every run (fixed SVG hash salt, no date in the
metadata, matplotlib's default style), so that tests/test_diagrams.py can check that the
committed files are what this script draws. After changing a figure, run ``make diagrams``
and commit the SVG files together with the script.

    python tools/diagrams.py                 # writes book/figures/*.svg
    python tools/diagrams.py --out /tmp/fig  # somewhere else (the test does this)
    python tools/diagrams.py --only gru-cell --png  # one figure, plus a PNG preview

The numbers drawn in the figure of chapter 2 are those of the chapter's toy example (its stored
outputs): the tokens 0, ..., 34, batch_size=2, num_steps=5, and the offset 3 that both iterators
drew after ``d2lmini.set_seed(0)``. The split of chapter 13 is that of ``d2lmini.split_corpus``
applied twice (held-out tail 10%, validation slice 10% of the training part); its character
counts are those that chapter 3 prints for The Time Machine. The shapes of chapter 5 are those of
``d2lmini.RNNModel`` around ``rnn.RNN(256)`` on a training minibatch (32 sequences of 35 characters,
28 tokens); the loop of chapter 11 is that of ``predict_ch8`` and ``predict_sample``. The text of
chapter 12 is its made-up example, with two of its features computed by the chapter's rules; the
unit drawn under them is imagined, not one of a trained model.
"""
import argparse
from pathlib import Path

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Rectangle  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / 'book' / 'figures'

# Colours chosen to stay apart in grey-scale print as well: light, middle and dark.
LIGHT = '#fee391'   # light yellow   (grey ~ 0.88)
MIDDLE = '#74add1'  # middle blue    (grey ~ 0.63)
DARK = '#313695'    # dark blue      (grey ~ 0.25)
GATE = '#fdd0a2'    # sigmoid gates: light orange
TANH = '#c7e9c0'    # tanh layers: light green
STATE = '#deebf7'   # states: very light blue
RED = '#b2182b'     # gradients, recurrences (dark enough to read as dark grey)
GREY = '#7f7f7f'

FIGURES = {}


def figure(name):
    """Register a drawing function under the file name it is saved as (without .svg)."""
    def register(draw):
        FIGURES[name] = draw
        return draw
    return register


def canvas(width, height, xlim, ylim):
    """A figure of width x height inches with one axis-free, equal-aspect drawing area."""
    fig, ax = plt.subplots(figsize=(width, height))
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect('equal')
    ax.axis('off')
    return fig, ax


def box(ax, x, y, w, h, text='', fc='white', ec='black', fontsize=12, lw=1.2, hatch=None,
        color='black', rounded=True, zorder=2):
    """A box centred at (x, y), with text in its middle."""
    style = 'round,pad=0,rounding_size=0.12' if rounded else 'square,pad=0'
    patch = FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle=style, fc=fc, ec=ec, lw=lw,
                           hatch=hatch, zorder=zorder)
    ax.add_patch(patch)
    if text:
        ax.text(x, y, text, ha='center', va='center', fontsize=fontsize, color=color,
                zorder=zorder + 1)
    return patch


def node(ax, x, y, text, r=0.28, fontsize=13, fc='white', zorder=3):
    """A small circle for an elementwise operation."""
    ax.add_patch(Circle((x, y), r, fc=fc, ec='black', lw=1.2, zorder=zorder))
    ax.text(x, y, text, ha='center', va='center', fontsize=fontsize, zorder=zorder + 1)


def arrow(ax, start, end, color='black', lw=1.4, ls='-', style='-|>', shrink=0, rad=0, zorder=1,
          scale=14):
    """An arrow from start to end (data coordinates); rad bends it."""
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=scale, color=color,
                                 lw=lw, ls=ls, shrinkA=shrink, shrinkB=shrink, zorder=zorder,
                                 connectionstyle=f'arc3,rad={rad}'))


def line(ax, points, color='black', lw=1.4, ls='-', zorder=1):
    """A polyline through points."""
    xs, ys = zip(*points)
    ax.plot(xs, ys, color=color, lw=lw, ls=ls, zorder=zorder, solid_capstyle='butt')


def path_arrow(ax, points, color='black', lw=1.4, ls='-', zorder=1):
    """A polyline through points whose last segment ends in an arrow head."""
    if len(points) > 2:
        line(ax, points[:-1], color=color, lw=lw, ls=ls, zorder=zorder)
    arrow(ax, points[-2], points[-1], color=color, lw=lw, ls=ls, zorder=zorder)


def dot(ax, x, y, color='black'):
    """A junction: a line branches here."""
    ax.add_patch(Circle((x, y), 0.07, fc=color, ec=color, zorder=3))


# ----------------------------------------------------------------------------------------------
# Chapter 1: the autoregressive model with a window of tau past values


@figure('autoregressive-window')
def autoregressive_window():
    tau, steps = 4, 11  # time steps drawn: t-6, ..., t+4
    fig, ax = canvas(9, 3.9, (-1.6, steps + 0.6), (-2.1, 3.3))
    offsets = list(range(-6, steps - 6))
    for row, (shift, y) in enumerate([(0, 1.7), (1, -0.4)]):
        t_label = 't' if shift == 0 else 't+1'
        ax.text(-1.5, y, f'predict\n$x_{{{t_label}}}$:', ha='left', va='center', fontsize=11)
        for i, k in enumerate(offsets):
            x = i + 0.9
            in_window = -tau + shift <= k <= -1 + shift
            name = 't' if k == 0 else f't{k:+d}'
            if k == shift:
                box(ax, x, y, 0.84, 0.7, '?', fc='white', ec=RED, lw=2, fontsize=13, color=RED)
            elif k > shift:
                box(ax, x, y, 0.84, 0.7, f'$x_{{{name}}}$', fc='white', ec='#bbbbbb',
                    color='#aaaaaa', fontsize=11)
            else:
                box(ax, x, y, 0.84, 0.7, f'$x_{{{name}}}$', fc=MIDDLE if in_window else STATE,
                    fontsize=11, lw=1.8 if in_window else 1.0)
        first = offsets.index(-tau + shift) + 0.9
        last = offsets.index(-1 + shift) + 0.9
        target = offsets.index(shift) + 0.9
        mid = (first + last) / 2
        sign = 1 if row == 0 else -1  # the window's bracket above the first row, below the second
        edge, level = y + sign * 0.6, y + sign * 1.1
        line(ax, [(first - 0.45, y + sign * 0.48), (first - 0.45, edge), (last + 0.45, edge),
                  (last + 0.45, y + sign * 0.48)], lw=1.2)
        box(ax, target, level, 1.1, 0.52, '$f$', fc=LIGHT, fontsize=12)
        path_arrow(ax, [(mid, edge), (mid, level), (target - 0.55, level)])
        arrow(ax, (target, level - sign * 0.26), (target, y + sign * 0.37), color=RED, lw=1.6)
        hat = r'$\hat{x}_t$' if row == 0 else r'$\hat{x}_{t+1}$'
        ax.text(target + 0.62, level, hat, ha='left', va='center', fontsize=12, color=RED)
        if row == 0:
            ax.text(mid - 0.2, level, rf'window of $\tau = {tau}$ past values', ha='right',
                    va='center', fontsize=10)
        else:
            ax.text(mid - 0.2, level, 'one step later: the window slides by one;\n'
                    'the same $f$ at every step', ha='right', va='center', fontsize=10)
    ax.text(steps - 1.6, 2.95, 'time', ha='right', va='center', fontsize=10, color=GREY)
    arrow(ax, (steps - 1.5, 2.95), (steps + 0.4, 2.95), color=GREY, lw=1)
    return fig


# ----------------------------------------------------------------------------------------------
# Chapter 2: random sampling and sequential partitioning of the toy sequence 0, ..., 34

TOY_LENGTH, TOY_BATCH, TOY_STEPS, TOY_OFFSET = 35, 2, 5, 3
# The first tokens of the windows of each minibatch (row 0, row 1), from the chapter's outputs.
TOY_BATCHES = {
    'random sampling': [(23, 8), (28, 13), (3, 18)],
    'sequential partitioning': [(3, 18), (8, 23), (13, 28)],
}
BATCH_COLOURS = [(LIGHT, 'black'), (MIDDLE, 'black'), (DARK, 'white')]


@figure('minibatch-partitioning')
def minibatch_partitioning():
    fig, ax = canvas(10, 7.2, (-0.9, TOY_LENGTH + 0.1), (-15.2, 1.9))
    notes = {
        'random sampling': 'windows from random places: a row continues the same row of the '
                           'minibatch before only by luck\n(here minibatch 2 happens to continue '
                           'minibatch 1), so every minibatch starts from a fresh state',
        'sequential partitioning': 'two long rows, 3-17 and 18-32, read 5 columns at a time: '
                                   'each row continues where it stopped,\nso the state may be '
                                   'carried from one minibatch to the next',
    }
    for panel, (name, batches) in enumerate(TOY_BATCHES.items()):
        top = -panel * 8.4
        window_of = {}
        for b, starts in enumerate(batches):
            for row, start in enumerate(starts):
                for k in range(TOY_STEPS):
                    window_of[start + k] = (b, row)
        ax.text(-0.6, top + 1.1, f'{name.capitalize()} (offset {TOY_OFFSET})', ha='left',
                va='center', fontsize=13, weight='bold')
        for token in range(TOY_LENGTH):
            x = token + 0.5
            if token in window_of:
                b, _ = window_of[token]
                fc, tc = BATCH_COLOURS[b]
                box(ax, x, top, 0.94, 0.9, str(token), fc=fc, color=tc, fontsize=9, lw=0.8,
                    rounded=False)
            else:
                label_only = token == TOY_LENGTH - 2  # 33: only ever a label (a target)
                box(ax, x, top, 0.94, 0.9, '', fc='#e6e6e6' if label_only else 'white', ec=GREY,
                    hatch=None if label_only else '///', lw=0.8, rounded=False)
                ax.text(x, top, str(token), ha='center', va='center', fontsize=9, color='#444444',
                        zorder=4, bbox=dict(boxstyle='square,pad=0.05', fc='white', ec='none'))
        # which minibatch and row each window is, and what is not read as input
        for b, starts in enumerate(batches):
            for row, start in enumerate(starts):
                ax.text(start + TOY_STEPS / 2, top - 0.75, f'batch {b + 1}, row {row}',
                        ha='center', va='center', fontsize=8.5)
        ax.text(1.5, top - 0.75, 'offset', ha='center', va='center', fontsize=8.5,
                color='#444444')
        ax.text(TOY_LENGTH, top + 0.75, '33: label only, 34: unused', ha='right',
                va='center', fontsize=8.5, color='#444444')
        # the three minibatches X as 2 x 5 matrices
        for b, starts in enumerate(batches):
            left = 2.5 + b * 11
            ax.text(left + 2.5, top - 1.85, f'minibatch {b + 1}: X', ha='center', va='center',
                    fontsize=11)
            fc, tc = BATCH_COLOURS[b]
            for row, start in enumerate(starts):
                y = top - 2.75 - row * 1.0
                if b == 0:
                    ax.text(left - 0.3, y, f'row {row}', ha='right', va='center', fontsize=9)
                for k in range(TOY_STEPS):
                    box(ax, left + k + 0.5, y, 0.94, 0.9, str(start + k), fc=fc, color=tc,
                        fontsize=9, lw=0.8, rounded=False)
            if b < 2:
                arrow(ax, (left + 5.4, top - 3.25), (left + 10.6, top - 3.25), color=GREY, lw=1,
                      ls=(0, (3, 2)))
        ax.text(TOY_LENGTH / 2, top - 5.45, notes[name], ha='center', va='center', fontsize=10,
                style='italic', linespacing=1.4)
    return fig


# ----------------------------------------------------------------------------------------------
# Chapter 3: an n-gram's context window slides over the characters, and backs off


@figure('ngram-context-backoff')
def ngram_context_backoff():
    text = 'the time traveller'
    fig, ax = canvas(9.5, 5.4, (-0.5, 20.6), (-6.4, 3.4))
    n = 4  # a 4-gram: 3 characters of context
    for row, pos in enumerate([11, 12]):  # predict text[pos] from text[pos-3:pos]
        y = 2.2 - row * 1.3
        for i, ch in enumerate(text):
            x = i + 0.5
            if pos - n + 1 <= i < pos:
                fc, ec, lw = MIDDLE, 'black', 1.6
            elif i == pos:
                fc, ec, lw = 'white', RED, 2.0
            elif i > pos:
                fc, ec, lw = 'white', '#bbbbbb', 0.8
            else:
                fc, ec, lw = STATE, 'black', 0.8
            label = '\u2423' if ch == ' ' else ch  # an open box for the space
            colour = RED if i == pos else ('#aaaaaa' if i > pos else 'black')
            box(ax, x, y, 0.9, 0.9, '?' if i == pos else label, fc=fc, ec=ec, lw=lw,
                fontsize=12, color=colour, rounded=False)
        context = text[pos - n + 1:pos].replace(' ', '\u2423')
        ax.text(18.4, y, f'$P(\\,?\\mid$ {context}$)$', ha='left', va='center', fontsize=11)
    ax.text(9.5, 2.8, 'a 4-gram model: the context $h$ is the last $n-1 = 3$ characters',
            ha='center', va='bottom', fontsize=10)
    ax.text(0, 0.0, 'one step later, the window has moved on by one character',
            ha='left', va='center', fontsize=10, style='italic')
    # the chain of shorter contexts for the first row's context
    ax.text(0, -0.8, 'Where a context was seen rarely or never, the shorter ones fill in:',
            ha='left', va='center', fontsize=11)
    chain = [('\u2423tr', '3 characters'), ('tr', '2 characters'), ('r', '1 character'),
             ('', 'no context'), (None, 'uniform')]
    for i, (ctx, label) in enumerate(chain):
        x = 1.9 + i * 4.1
        if ctx is None:
            text_in = '$1/|V|$'
        elif ctx:
            text_in = f'$P(w\\mid$ {ctx}$)$'
        else:
            text_in = '$P(w)$'
        fc = [MIDDLE, '#a6cde3', STATE, 'white', 'white'][i]
        box(ax, x, -2.1, 3.1, 0.9, text_in, fc=fc, fontsize=11)
        ax.text(x, -2.85, label, ha='center', va='center', fontsize=9.5)
        if i:
            arrow(ax, (x - 4.1 + 1.6, -2.1), (x - 1.6, -2.1), lw=1.4)
    ax.text(10.1, -3.9, r'interpolation: each order mixes in the next shorter one with the '
            r'weight $d\,N(h)/c(h)$;', ha='center', va='center', fontsize=10.5)
    ax.text(10.1, -4.55, 'a context never seen in training ($c(h) = 0$) uses the shorter one '
            'unchanged: it backs off', ha='center', va='center', fontsize=10.5)
    ax.text(10.1, -5.5, 'Kneser-Ney: shorter orders count the distinct characters seen right '
            'before a string, not its occurrences', ha='center', va='center', fontsize=9.5,
            color='#444444')
    return fig


# ----------------------------------------------------------------------------------------------
# Chapter 4: the unrolled RNN


@figure('rnn-unrolled')
def rnn_unrolled():
    steps = 4
    fig, ax = canvas(9.5, 4.6, (-3.6, 2.4 * steps + 1.0), (-1.9, 3.9))
    # the folded network on the left: one cell with a loop
    fx = -2.5
    box(ax, fx, 0, 1.1, 0.7, r'$\mathbf{X}_t$', fc=STATE)
    box(ax, fx, 1.5, 1.1, 0.7, r'$\mathbf{H}_t$', fc=MIDDLE)
    box(ax, fx, 3.0, 1.1, 0.7, r'$\mathbf{O}_t$', fc=LIGHT)
    arrow(ax, (fx, 0.37), (fx, 1.13))
    arrow(ax, (fx, 1.87), (fx, 2.63))
    path_arrow(ax, [(fx + 0.57, 1.5), (fx + 0.95, 1.5), (fx + 0.95, 0.85), (fx + 0.3, 0.85),
                    (fx + 0.3, 1.13)], color=RED, lw=1.6)
    ax.text(fx + 1.02, 1.15, r'$\mathbf{W}_{hh}$', color=RED, fontsize=10, ha='left',
            va='center')
    ax.text(fx, -0.75, 'folded', ha='center', va='center', fontsize=10, color=GREY)
    ax.text(-0.45, 1.5, '=', ha='center', va='center', fontsize=20)
    ax.text(2.4 * (steps + 1) / 2 + 0.3, -0.75, 'unrolled over time', ha='center', va='center',
            fontsize=10, color=GREY)
    # unrolled over time
    box(ax, 0.5, 1.5, 0.95, 0.7, r'$\mathbf{H}_0$', fc='white', fontsize=11)
    ax.text(0.5, 0.85, 'zeros', ha='center', va='center', fontsize=9, color=GREY)
    for t in range(1, steps + 1):
        x = 2.4 * t
        box(ax, x, 0, 1.1, 0.7, rf'$\mathbf{{X}}_{t}$', fc=STATE)
        box(ax, x, 1.5, 1.1, 0.7, rf'$\mathbf{{H}}_{t}$', fc=MIDDLE)
        box(ax, x, 3.0, 1.1, 0.7, rf'$\mathbf{{O}}_{t}$', fc=LIGHT)
        arrow(ax, (x, 0.37), (x, 1.13))
        arrow(ax, (x, 1.87), (x, 2.63))
        ax.text(x + 0.08, 0.75, r'$\mathbf{W}_{xh}$', fontsize=10, ha='left', va='center')
        ax.text(x + 0.08, 2.25, r'$\mathbf{W}_{hq}$', fontsize=10, ha='left', va='center')
        left = 0.5 + 0.5 if t == 1 else x - 2.4 + 0.57
        arrow(ax, (left, 1.5), (x - 0.57, 1.5), color=RED, lw=1.6)
        ax.text((left + x - 0.57) / 2, 1.62, r'$\mathbf{W}_{hh}$', color=RED, fontsize=10,
                ha='center', va='bottom')
    arrow(ax, (2.4 * steps + 0.57, 1.5), (2.4 * steps + 1.0, 1.5), color=RED, lw=1.6)
    ax.text(1.2 * (steps + 1), -1.2, 'the same $\\mathbf{W}_{xh}$, $\\mathbf{W}_{hh}$, '
            '$\\mathbf{W}_{hq}$ (and biases) at every time step:', ha='center', va='center',
            fontsize=10.5)
    ax.text(1.2 * (steps + 1), -1.75,
            r'$\mathbf{H}_t = \tanh(\mathbf{X}_t \mathbf{W}_{xh} + \mathbf{H}_{t-1} '
            r'\mathbf{W}_{hh} + \mathbf{b}_h)$,   '
            r'$\mathbf{O}_t = \mathbf{H}_t \mathbf{W}_{hq} + \mathbf{b}_q$',
            ha='center', va='center', fontsize=11)
    ax.text(1.2 * (steps + 1), 3.75, 'time $\\rightarrow$', ha='center', va='center',
            fontsize=10, color=GREY)
    return fig


# ----------------------------------------------------------------------------------------------
# Chapter 5: RNNModel around Gluon's rnn.RNN, with the shapes of a training minibatch

HIDDEN = '#a6cde3'  # the recurrent layer's outputs: between STATE and MIDDLE


@figure('rnn-model-shapes')
def rnn_model_shapes():
    fig, ax = canvas(10, 4.4, (-0.4, 20.6), (-0.4, 8.3))
    y_x, y_h, y_y = 1.0, 2.75, 4.6
    ax.text(-0.2, 7.75, 'RNNModel.forward on a training minibatch: batch 32, steps 35',
            ha='left', va='center', fontsize=11, weight='bold')
    # the token indices, one-hot encoded and transposed: time-major
    box(ax, 1.2, y_x, 2.8, 1.5, 'inputs\n32 × 35\n(batch, steps)', fc='white', fontsize=10,
        rounded=False)
    arrow(ax, (2.65, y_x), (4.85, y_x))
    ax.text(3.75, y_x + 0.2, 'one-hot\nof inputs.T', ha='center', va='bottom', fontsize=9.5)
    # the recurrent layer, unrolled: one fused operator over the 35 steps
    box(ax, 8.45, 1.85, 7.0, 2.5, '', fc='none', ec=GREY, lw=1.0, zorder=0)
    ax.text(8.45, 0.25, 'self.rnn: one fused operator over all 35 steps', ha='center',
            va='center', fontsize=9.5, color=GREY)
    xs = [(5.9, '1'), (7.6, '2'), (9.3, None), (11.0, '35')]
    for x, t in xs:
        if t is None:
            for y in (y_x, y_h):
                ax.text(x, y, r'$\cdots$', ha='center', va='center', fontsize=13)
            continue
        box(ax, x, y_x, 1.25, 0.7, rf'$\mathbf{{X}}_{{{t}}}$', fc=STATE, fontsize=11,
            rounded=False)
        box(ax, x, y_h, 1.25, 0.7, rf'$\mathbf{{H}}_{{{t}}}$', fc=MIDDLE, fontsize=11)
        arrow(ax, (x, y_x + 0.37), (x, y_h - 0.37))
        arrow(ax, (x, y_h + 0.37), (x, y_y - 0.42))
    for (xa, _), (xb, _) in zip(xs, xs[1:]):
        arrow(ax, (xa + 0.65 if xa != 9.3 else xa + 0.4, y_h),
              (xb - 0.65 if xb != 9.3 else xb - 0.4, y_h), color=RED, lw=1.6)
    ax.text(12.05, y_x, 'X: 35 × 32 × 28\n(steps, batch, vocab)', ha='left', va='center',
            fontsize=9.5)
    # the state: in from the left, the last one returned
    arrow(ax, (2.9, y_h), (5.25, y_h), color=RED, lw=1.6)
    ax.text(2.8, y_h, 'state\n[(1, 32, 256)]', ha='right', va='center', fontsize=9.5, color=RED)
    arrow(ax, (11.65, y_h), (13.9, y_h), color=RED, lw=1.6)
    ax.text(14.0, y_h, 'new state [(1, 32, 256)]\n' r'$= \mathbf{H}_{35}$, returned',
            ha='left', va='center', fontsize=9.5, color=RED)
    # all the hidden states, stacked, then one dense layer for every position at once
    box(ax, 8.45, y_y, 8.2, 0.8, 'Y: 35 × 32 × 256  (steps, batch, hiddens)', fc=HIDDEN,
        fontsize=10, rounded=False)
    arrow(ax, (12.55, y_y), (14.55, y_y))
    ax.text(13.55, y_y + 0.15, 'reshape', ha='center', va='bottom', fontsize=9.5)
    box(ax, 17.5, y_y, 5.6, 1.1, '1120 × 256\n(steps · batch, hiddens)', fc=HIDDEN,
        fontsize=10, rounded=False)
    arrow(ax, (17.5, y_y + 0.57), (17.5, 6.1))
    ax.text(17.65, 5.6, 'Dense(28)', ha='left', va='center', fontsize=9.5)
    box(ax, 17.5, 6.7, 5.6, 1.1, 'output: 1120 × 28 scores\n(steps · batch, vocab)', fc=LIGHT,
        fontsize=10, rounded=False)
    ax.text(14.4, 6.7, 'rows: step 1 of the 32\nsequences, then step 2, ...', ha='right',
            va='center', fontsize=9.5)
    return fig


# ----------------------------------------------------------------------------------------------
# Chapters 6 and 7: the GRU and the LSTM cell


def gate_box(ax, x, y, name, activation, weights, fc):
    box(ax, x, y, 1.9, 1.25, '', fc=fc)
    ax.text(x, y + 0.33, name, ha='center', va='center', fontsize=9.5)
    ax.text(x, y - 0.02, activation, ha='center', va='center', fontsize=12)
    ax.text(x, y - 0.38, weights, ha='center', va='center', fontsize=8.5)


def layers(ax, y, specs):
    """The layers of a gated cell in a row: specs are (x, name, subscript of its weights); the
    'candidate' is a tanh layer, every other one a sigmoid gate."""
    for x, name, sub in specs:
        candidate = name == 'candidate'
        gate_box(ax, x, y, name, r'$\tanh$' if candidate else r'$\sigma$',
                 rf'$\mathbf{{W}}_{{x{sub}}}, \mathbf{{W}}_{{h{sub}}}, \mathbf{{b}}_{sub}$',
                 TANH if candidate else GATE)


def legend(ax, x, y, ops):
    box(ax, x, y, 0.6, 0.4, '', fc=GATE)
    ax.text(x + 0.45, y, 'layer: $\\sigma$ or tanh of an affine map of its inputs', ha='left',
            va='center', fontsize=9)
    node(ax, x, y - 0.6, '', r=0.18)
    ax.text(x + 0.45, y - 0.6, f'elementwise: {ops}', ha='left', va='center', fontsize=9)


@figure('gru-cell')
def gru_cell():
    fig, ax = canvas(9.5, 6.0, (-0.6, 14.6), (-0.7, 8.2))
    top, gate_y, h_bus, x_bus = 7.0, 3.5, 2.25, 1.45
    zx, rx, cx = 3.0, 5.6, 8.6       # update gate, reset gate, candidate
    mr, m1, m2, plus, onem = (7.0, 5.3), (10.0, top), (12.3, 5.3), (12.3, top), (11.1, 6.2)
    # the state line: H_{t-1} -> Z * H_{t-1} -> + -> H_t
    ax.text(-0.5, top, r'$\mathbf{H}_{t-1}$', ha='left', va='center', fontsize=13)
    line(ax, [(0.6, top), (m1[0] - 0.28, top)], lw=1.8)
    line(ax, [(m1[0] + 0.28, top), (plus[0] - 0.28, top)], lw=1.8)
    arrow(ax, (plus[0] + 0.28, top), (13.6, top), lw=1.8)
    ax.text(13.7, top, r'$\mathbf{H}_t$', ha='left', va='center', fontsize=13)
    node(ax, *m1, r'$\odot$')
    node(ax, *plus, '$+$')
    # H_{t-1} down to the gates (and to the reset product), X_t up to all three layers
    dot(ax, 1.5, top)
    line(ax, [(1.5, top), (1.5, h_bus), (mr[0], h_bus)])
    dot(ax, zx - 0.4, h_bus)
    dot(ax, rx - 0.4, h_bus)
    arrow(ax, (zx - 0.4, h_bus), (zx - 0.4, gate_y - 0.63))
    arrow(ax, (rx - 0.4, h_bus), (rx - 0.4, gate_y - 0.63))
    arrow(ax, (mr[0], h_bus), (mr[0], mr[1] - 0.28))
    ax.text(0.75, -0.35, r'$\mathbf{X}_t$', ha='center', va='center', fontsize=13)
    line(ax, [(0.75, 0.0), (0.75, x_bus), (cx, x_bus)])
    for gx in (zx + 0.4, rx + 0.4):
        dot(ax, gx, x_bus)
        arrow(ax, (gx, x_bus), (gx, gate_y - 0.63))
    arrow(ax, (cx, x_bus), (cx, gate_y - 0.63))
    # the three layers
    layers(ax, gate_y, [(zx, 'update gate', 'z'), (rx, 'reset gate', 'r'), (cx, 'candidate', 'h')])
    # reset gate: R_t * H_{t-1} into the candidate
    line(ax, [(rx, gate_y + 0.63), (rx, mr[1]), (mr[0] - 0.28, mr[1])])
    ax.text(rx - 0.1, 4.75, r'$\mathbf{R}_t$', ha='right', va='center', fontsize=12)
    node(ax, *mr, r'$\odot$')
    path_arrow(ax, [(mr[0] + 0.28, mr[1]), (cx, mr[1]), (cx, gate_y + 0.63)])
    ax.text(mr[0] + 0.35, mr[1] + 0.25, r'$\mathbf{R}_t \odot \mathbf{H}_{t-1}$', ha='left',
            va='bottom', fontsize=10)
    # update gate: Z_t * H_{t-1} on the state line, (1 - Z_t) * candidate
    line(ax, [(zx, gate_y + 0.63), (zx, onem[1]), (onem[0] - 0.28, onem[1])])
    ax.text(zx - 0.1, 4.75, r'$\mathbf{Z}_t$', ha='right', va='center', fontsize=12)
    dot(ax, m1[0], onem[1])
    arrow(ax, (m1[0], onem[1]), (m1[0], m1[1] - 0.28))
    node(ax, *onem, '$1-$', fontsize=9)
    arrow(ax, (onem[0] + 0.2, onem[1] - 0.2), (m2[0] - 0.2, m2[1] + 0.2))
    path_arrow(ax, [(cx + 0.95, gate_y), (m2[0], gate_y), (m2[0], m2[1] - 0.28)])
    ax.text(cx + 1.1, gate_y + 0.15, r'$\tilde{\mathbf{H}}_t$', ha='left', va='bottom',
            fontsize=12)
    node(ax, *m2, r'$\odot$')
    arrow(ax, (m2[0], m2[1] + 0.28), (plus[0], plus[1] - 0.28))
    ax.text(m2[0] + 0.35, m2[1], r'$(1-\mathbf{Z}_t) \odot \tilde{\mathbf{H}}_t$', ha='left',
            va='center', fontsize=10)
    ax.text(m1[0] - 0.15, top + 0.4, r'$\mathbf{Z}_t \odot \mathbf{H}_{t-1}$', ha='center',
            va='bottom', fontsize=10)
    legend(ax, 9.3, 0.9, r'$\odot$ product, $+$ sum, $1-x$')
    return fig


@figure('lstm-cell')
def lstm_cell():
    fig, ax = canvas(9.5, 6.0, (-0.6, 14.6), (-0.7, 8.2))
    top, gate_y, h_bus, x_bus = 7.0, 3.5, 2.25, 1.45
    fx, ix, cx, ox = 2.7, 5.0, 7.3, 9.6
    mf, mi, plus, th, mo = (fx, top), (6.15, 5.4), (6.15, top), (11.6, 5.4), (11.6, gate_y)
    # the cell line: C_{t-1} -> F * C -> + I * C~ -> C_t
    ax.text(-0.5, top, r'$\mathbf{C}_{t-1}$', ha='left', va='center', fontsize=13)
    line(ax, [(0.6, top), (mf[0] - 0.28, top)], lw=1.8)
    line(ax, [(mf[0] + 0.28, top), (plus[0] - 0.28, top)], lw=1.8)
    arrow(ax, (plus[0] + 0.28, top), (13.6, top), lw=1.8)
    ax.text(13.7, top, r'$\mathbf{C}_t$', ha='left', va='center', fontsize=13)
    ax.text(3.9, top + 0.25, 'memory cell', ha='center', va='bottom', fontsize=9, color=GREY)
    node(ax, *mf, r'$\odot$')
    node(ax, *plus, '$+$')
    # inputs: H_{t-1} and X_t into all four layers
    ax.text(-0.5, h_bus, r'$\mathbf{H}_{t-1}$', ha='left', va='center', fontsize=13)
    line(ax, [(0.6, h_bus), (ox - 0.4, h_bus)])
    ax.text(0.75, -0.35, r'$\mathbf{X}_t$', ha='center', va='center', fontsize=13)
    line(ax, [(0.75, 0.0), (0.75, x_bus), (ox + 0.4, x_bus)])
    for gx in (fx, ix, cx, ox):
        for dx, y in ((-0.4, h_bus), (0.4, x_bus)):
            if gx != ox:  # the last layer is where the two lines end
                dot(ax, gx + dx, y)
            arrow(ax, (gx + dx, y), (gx + dx, gate_y - 0.63))
    layers(ax, gate_y, [(fx, 'forget gate', 'f'), (ix, 'input gate', 'i'), (cx, 'candidate', 'c'),
                        (ox, 'output gate', 'o')])
    # forget gate onto the cell line
    arrow(ax, (fx, gate_y + 0.63), (mf[0], mf[1] - 0.28))
    ax.text(fx - 0.1, 5.0, r'$\mathbf{F}_t$', ha='right', va='center', fontsize=12)
    # input gate * candidate, added to the cell
    path_arrow(ax, [(ix, gate_y + 0.63), (ix, mi[1]), (mi[0] - 0.28, mi[1])])
    ax.text(ix - 0.1, 4.75, r'$\mathbf{I}_t$', ha='right', va='center', fontsize=12)
    path_arrow(ax, [(cx, gate_y + 0.63), (cx, mi[1]), (mi[0] + 0.28, mi[1])])
    ax.text(cx + 0.1, 4.75, r'$\tilde{\mathbf{C}}_t$', ha='left', va='center', fontsize=12)
    node(ax, *mi, r'$\odot$')
    arrow(ax, (mi[0], mi[1] + 0.28), (plus[0], plus[1] - 0.28))
    # the cell, squashed, times the output gate gives H_t
    dot(ax, th[0], top)
    arrow(ax, (th[0], top), (th[0], th[1] + 0.3))
    node(ax, *th, 'tanh', r=0.3, fontsize=8)
    arrow(ax, (th[0], th[1] - 0.3), (mo[0], mo[1] + 0.28))
    arrow(ax, (ox + 0.95, gate_y), (mo[0] - 0.28, mo[1]))
    ax.text(ox + 1.05, gate_y + 0.12, r'$\mathbf{O}_t$', ha='left', va='bottom', fontsize=12)
    node(ax, *mo, r'$\odot$')
    arrow(ax, (mo[0] + 0.28, mo[1]), (13.6, mo[1]), lw=1.8)
    ax.text(13.7, mo[1], r'$\mathbf{H}_t$', ha='left', va='center', fontsize=13)
    legend(ax, 9.3, 0.9, r'$\odot$ product, $+$ sum, tanh')
    return fig


# ----------------------------------------------------------------------------------------------
# Chapter 8: a deep (two-layer) RNN and a bidirectional RNN


def rnn_grid(ax, x0, rows, steps=3, dx=1.9, dy=1.35):
    """rows: (label, colour, direction) bottom-up; returns the centres of the boxes."""
    centres = {}
    for r, (label, fc, direction) in enumerate(rows):
        for t in range(1, steps + 1):
            x, y = x0 + (t - 1) * dx, r * dy
            tc = 'white' if fc == DARK else 'black'
            box(ax, x, y, 1.15, 0.72, label.format(t=t), fc=fc, color=tc, fontsize=11)
            centres[r, t] = (x, y)
        if direction:
            for t in range(1, steps):
                a, b = (t, t + 1) if direction > 0 else (t + 1, t)
                (xa, ya), (xb, yb) = centres[r, a], centres[r, b]
                sign = 1 if direction > 0 else -1
                arrow(ax, (xa + sign * 0.58, ya), (xb - sign * 0.58, yb), color=RED, lw=1.6)
    return centres


@figure('deep-bidirectional-rnn')
def deep_bidirectional_rnn():
    fig, ax = canvas(10, 4.6, (-1.6, 15.2), (-1.5, 5.6))
    # (a) two layers
    c = rnn_grid(ax, 0.9, [(r'$\mathbf{{X}}_{t}$', STATE, 0),
                           (r'$\mathbf{{H}}^{{(1)}}_{t}$', MIDDLE, 1),
                           (r'$\mathbf{{H}}^{{(2)}}_{t}$', DARK, 1),
                           (r'$\mathbf{{O}}_{t}$', LIGHT, 0)])
    for t in range(1, 4):
        for r in range(3):
            (x, y0), (_, y1) = c[r, t], c[r + 1, t]
            arrow(ax, (x, y0 + 0.37), (x, y1 - 0.37))
    for r, text in [(1, 'layer 1'), (2, 'layer 2')]:
        ax.text(-0.35, c[r, 1][1], text, ha='right', va='center', fontsize=10)
    ax.text(2.8, 5.05, '(a) deep: two layers', ha='center', va='center', fontsize=12,
            weight='bold')
    ax.text(2.8, -1.0, 'layer 2 reads the hidden states of layer 1;\n'
            'each layer has its own weights and state', ha='center', va='center', fontsize=9.5)
    # (b) bidirectional
    x0 = 9.6
    c = rnn_grid(ax, x0, [(r'$\mathbf{{X}}_{t}$', STATE, 0),
                          (r'$\overrightarrow{{\mathbf{{H}}}}_{t}$', MIDDLE, 1),
                          (r'$\overleftarrow{{\mathbf{{H}}}}_{t}$', DARK, -1),
                          (r'$\mathbf{{O}}_{t}$', LIGHT, 0)])
    for t in range(1, 4):
        (x, yx), (_, yf), (_, yb), (_, yo) = c[0, t], c[1, t], c[2, t], c[3, t]
        arrow(ax, (x, yx + 0.37), (x, yf - 0.37))
        arrow(ax, (x - 0.4, yx + 0.37), (x - 0.4, yb - 0.37), rad=-0.25)  # around H forward
        arrow(ax, (x + 0.4, yf + 0.37), (x + 0.4, yo - 0.37), rad=0.25)   # around H backward
        arrow(ax, (x, yb + 0.37), (x, yo - 0.37))
    ax.text(x0 - 0.75, c[1, 1][1], 'forward', ha='right', va='center', fontsize=10)
    ax.text(x0 - 0.75, c[2, 1][1], 'backward', ha='right', va='center', fontsize=10)
    ax.text(x0 + 1.9, 5.05, '(b) bidirectional', ha='center', va='center', fontsize=12,
            weight='bold')
    ax.text(x0 + 1.9, -1.0, r'$\mathbf{O}_t$ reads $[\overrightarrow{\mathbf{H}}_t, '
            r'\overleftarrow{\mathbf{H}}_t]$: the past through one direction,'
            '\nthe future through the other', ha='center', va='center', fontsize=9.5)
    return fig


# ----------------------------------------------------------------------------------------------
# Chapter 9: truncated backpropagation through time


@figure('bptt-truncation')
def bptt_truncation():
    steps, dx, gap = 4, 1.55, 1.4  # 4 of the 35 steps drawn per minibatch; extra space between
    names = ['1', '2', '34', '35']
    fig, ax = canvas(10, 4.6, (-1.0, 2 * steps * dx + 2.2), (-2.0, 4.6))
    xs = [i * dx + (gap if i >= steps else 0) + 0.6 for i in range(2 * steps)]
    for i, x in enumerate(xs):
        name = names[i % steps]
        box(ax, x, 0, 0.95, 0.62, rf'$\mathbf{{x}}_{{{name}}}$', fc=STATE, fontsize=10)
        box(ax, x, 1.45, 0.95, 0.62, rf'$\mathbf{{h}}_{{{name}}}$', fc=MIDDLE, fontsize=10)
        box(ax, x, 2.9, 0.95, 0.62, rf'$\ell_{{{name}}}$', fc=LIGHT, fontsize=10)
        arrow(ax, (x - 0.12, 0.33), (x - 0.12, 1.12))
        arrow(ax, (x - 0.12, 1.78), (x - 0.12, 2.57))
        # gradients: down from each loss, and back along the chain of states
        arrow(ax, (x + 0.14, 2.57), (x + 0.14, 1.78), color=RED, lw=1.3)
        if i % steps:
            dotted = i % steps == 2  # steps 3 to 33 are left out
            ls = (0, (1, 2)) if dotted else '-'
            arrow(ax, (x - 0.5, 1.53), (xs[i - 1] + 0.5, 1.53), color=RED, lw=1.3, ls=ls)
            arrow(ax, (xs[i - 1] + 0.5, 1.37), (x - 0.5, 1.37), ls=ls)
            if dotted:
                for y in (0, 2.9):
                    ax.text((x + xs[i - 1]) / 2, y, r'$\cdots$', ha='center', va='center',
                            fontsize=12)
    # the boundary: the state's values go on, its gradient is cut
    xa, xb = xs[steps - 1] + 0.5, xs[steps] - 0.5
    arrow(ax, (xa, 1.37), (xb, 1.37), ls=(0, (4, 2)), lw=1.5)
    mid = (xa + xb) / 2
    arrow(ax, (xb, 1.62), (mid + 0.12, 1.62), color=RED, lw=1.3, style='-')
    line(ax, [(mid - 0.05, 1.45), (mid + 0.29, 1.79)], color=RED, lw=2.2)
    line(ax, [(mid - 0.05, 1.79), (mid + 0.29, 1.45)], color=RED, lw=2.2)
    ax.text(mid, 0.7, 'detach:\nvalues carried,\ngradient cut', ha='center', va='center',
            fontsize=9.5)
    # the state coming in from the minibatch before, going on to the next
    arrow(ax, (-0.75, 1.37), (xs[0] - 0.5, 1.37), ls=(0, (4, 2)), lw=1.5)
    arrow(ax, (xs[-1] + 0.5, 1.37), (xs[-1] + 1.45, 1.37), ls=(0, (4, 2)), lw=1.5)
    for k, (first, last) in enumerate([(0, steps - 1), (steps, 2 * steps - 1)]):
        left, right = xs[first] - 0.5, xs[last] + 0.5
        line(ax, [(left, 3.45), (left, 3.6), (right, 3.6), (right, 3.45)], lw=1.1)
        ax.text((left + right) / 2, 3.72, f'minibatch {"k" if k == 0 else "k + 1"}: '
                'num_steps = 35 steps', ha='center', va='bottom', fontsize=10.5)
    centre = (xs[0] + xs[-1]) / 2
    ax.text(centre, -0.95, 'sequential partitioning: row $i$ of minibatch k + 1 continues '
            'row $i$ of minibatch k', ha='center', va='center', fontsize=9.5)
    ax.text(centre, -1.6, 'black: the forward pass, which runs on across the boundary;   '
            'red: the gradients, which stay inside their minibatch', ha='center', va='center',
            fontsize=9.5)
    return fig


# ----------------------------------------------------------------------------------------------
# Chapter 10: a one-hot vector times a matrix picks one row


@figure('embedding-lookup')
def embedding_lookup():
    fig, ax = canvas(10, 3.9, (-0.5, 20.0), (-6.5, 1.5))
    shown = [0, 1, 2, 3, 4, 5, None, 27]  # the rows (entries) drawn; None: the dots
    index = 3                             # the token 't' has index 3 in the vocabulary
    cell = 0.85
    # the one-hot row vector e_3, of length V = 28
    y_vec = -3 * cell
    ax.text(3.5 * cell, y_vec - 1.05, "one-hot $\\mathbf{e}_3$ of the token 't'\n"
            '(a row of length $V = 28$)', ha='center', va='top', fontsize=10.5)
    for c, j in enumerate(shown):
        x = c * cell
        if j is None:
            ax.text(x, y_vec, r'$\cdots$', ha='center', va='center', fontsize=12)
            continue
        on = j == index
        box(ax, x, y_vec, cell * 0.95, cell * 0.95, '1' if on else '0',
            fc=DARK if on else 'white', color='white' if on else 'black', fontsize=10, lw=0.8,
            rounded=False)
        ax.text(x, y_vec - 0.65, f'{j}', ha='center', va='center', fontsize=8.5, color=GREY)
    ax.text(7 * cell + 0.75, y_vec, r'$\times$', ha='center', va='center', fontsize=22)
    # the matrix W (28 x 4), entries 4j + k as in the chapter's example
    left = 8 * cell + 1.0
    ax.text(left + 1.5 * cell, 0.75, 'weight matrix $\\mathbf{W}$ ($V \\times 4$)', ha='center',
            va='bottom', fontsize=10.5)
    for r, j in enumerate(shown):
        y = -r * cell
        for k in range(4):
            x = left + k * cell
            if j is None:
                ax.text(x, y, r'$\vdots$', ha='center', va='center', fontsize=12)
                continue
            on = j == index
            box(ax, x, y, cell * 0.95, cell * 0.95, str(4 * j + k), fc=MIDDLE if on else 'white',
                fontsize=10, lw=1.6 if on else 0.8, rounded=False)
        if j is not None:
            ax.text(left + 3 * cell + 0.6, y, f'{j}', ha='left', va='center', fontsize=8.5,
                    color=GREY)
    # the 1 in position 3 meets row 3
    arrow(ax, (index * cell, y_vec + 0.45), (left - 0.45, -index * cell + 0.1), rad=-0.35,
          color=DARK, lw=1.2, ls=(0, (4, 2)))
    ax.text(left + 5.3 * cell, y_vec, '=', ha='center', va='center', fontsize=22)
    # the result
    right = left + 6.6 * cell
    ax.text(right + 1.5 * cell, y_vec + 0.75, '$\\mathbf{e}_3 \\mathbf{W}$ = row 3 of '
            '$\\mathbf{W}$', ha='center', va='bottom', fontsize=10.5)
    for k in range(4):
        box(ax, right + k * cell, y_vec, cell * 0.95, cell * 0.95, str(12 + k), fc=MIDDLE,
            fontsize=10, lw=1.6, rounded=False)
    ax.text(right - 0.4, y_vec - 1.05, 'as a product: $2Vh$ FLOPs per token,\n'
            'almost all of them multiplications by 0;\nas a lookup (nn.Embedding): none',
            ha='left', va='top', fontsize=9.5, linespacing=1.4)
    return fig


# ----------------------------------------------------------------------------------------------
# Chapter 11: the generation loop of predict_ch8 and predict_sample


@figure('decoding-loop')
def decoding_loop():
    # wider than the other figures, so that the right-hand panel holds its text at the same scale
    fig, ax = canvas(11.1, 4.9, (-1.3, 25.2), (-1.5, 8.2))
    y_in, y_net, y_choose, y_out = 0, 1.8, 4.4, 6.2
    # warm-up: the prefix but its last character, in one call; its scores are thrown away
    wx = 2.4
    ax.text(wx, 7.5, 'warm-up: state only', ha='center', va='center', fontsize=11,
            weight='bold')
    box(ax, wx, y_in, 4.2, 0.8, 'time travelle', fc=STATE, fontsize=11)
    ax.text(wx, y_in - 0.8, 'prefix[:-1]: 1 × 13 indices', ha='center', va='center',
            fontsize=9.5)
    box(ax, wx, y_net, 4.2, 0.9, 'net, 13 steps', fc=MIDDLE, fontsize=11)
    arrow(ax, (wx, y_in + 0.42), (wx, y_net - 0.47))
    arrow(ax, (wx, y_net + 0.47), (wx, 3.35), color=GREY, ls=(0, (3, 2)))
    ax.text(wx, 3.7, 'scores ignored', ha='center', va='center', fontsize=10, color=GREY)
    box(ax, -0.6, y_net, 0.9, 0.7, '0', fc='white', fontsize=11)
    ax.text(-0.6, y_net - 0.75, 'begin\nstate', ha='center', va='top', fontsize=9, color=GREY)
    arrow(ax, (-0.13, y_net), (wx - 2.12, y_net), color=RED, lw=1.6)
    # generation: feed the last character, score, choose, append, feed it back
    xs, dx = [7.2, 10.4, 13.6], 3.2
    ax.text(xs[1], 7.5, 'generation: one character per step', ha='center', va='center',
            fontsize=11, weight='bold')
    arrow(ax, (wx + 2.12, y_net), (xs[0] - 0.82, y_net), color=RED, lw=1.6)
    ax.text((wx + 2.1 + xs[0] - 0.8) / 2, y_net + 0.15, 'state', ha='center', va='bottom',
            fontsize=10, color=RED)
    for i, x in enumerate(xs):
        if i == 0:
            box(ax, x, y_in, 0.9, 0.8, 'r', fc=STATE, fontsize=12)
            ax.text(x, y_in - 0.8, 'prefix[-1]', ha='center', va='center', fontsize=9.5)
        else:
            box(ax, x, y_in, 0.9, 0.8, f'$c_{i}$', fc=LIGHT, fontsize=12)
        box(ax, x, y_net, 1.6, 0.9, 'net', fc=MIDDLE, fontsize=11)
        arrow(ax, (x, y_in + 0.42), (x, y_net - 0.47))
        arrow(ax, (x, y_net + 0.47), (x, y_choose - 0.42))
        ax.text(x + 0.12, (y_net + y_choose) / 2, r'$\mathbf{o}$', ha='left', va='center',
                fontsize=12)
        box(ax, x, y_choose, 1.8, 0.8, 'choose', fc=GATE, fontsize=11)
        arrow(ax, (x, y_choose + 0.42), (x, y_out - 0.42))
        box(ax, x, y_out, 0.9, 0.8, f'$c_{i + 1}$', fc=LIGHT, fontsize=12)
        # the new state on to the next step, the new character appended and fed back
        right = x + dx - 0.82 if i < 2 else x + 2.0
        arrow(ax, (x + 0.82, y_net), (right, y_net), color=RED, lw=1.6)
        back = x + 1.55
        if i < 2:
            path_arrow(ax, [(x + 0.47, y_out), (back, y_out), (back, y_in),
                            (x + dx - 0.47, y_in)])
        else:
            path_arrow(ax, [(x + 0.47, y_out), (back, y_out), (back, y_in), (x + 2.0, y_in)])
    ax.text(xs[0] + 1.72, (y_choose + y_out) / 2 - 1.1, 'appended, fed back', ha='left',
            va='center', fontsize=9.5, rotation=90)
    for y in (y_in, y_net):
        ax.text(xs[2] + 2.35, y, r'$\cdots$', ha='center', va='center', fontsize=14)
    # what 'choose' is: greedy (predict_ch8) or sampling (predict_sample)
    px, pw = 20.75, 8.2  # centre and width of the two boxes
    box(ax, px, 7.3, 1.8, 0.8, 'choose', fc=GATE, fontsize=11)
    ax.text(px, 6.55, r'from the 28 scores $\mathbf{o}$:', ha='center', va='center',
            fontsize=10)
    box(ax, px, 5.1, pw, 1.5, '', fc='white')
    ax.text(px, 5.45, 'greedy (predict_ch8)', ha='center', va='center', fontsize=10.5,
            weight='bold')
    ax.text(px, 4.8, r'$c = \mathrm{argmax}_j\ o_j$', ha='center', va='center', fontsize=12)
    ax.text(px, 3.95, 'or', ha='center', va='center', fontsize=10, color=GREY)
    box(ax, px, 1.55, pw, 4.3, '', fc='white')
    ax.text(px, 3.25, 'sampling (predict_sample)', ha='center', va='center', fontsize=10.5,
            weight='bold')
    steps = [r'$o_0 = -\infty$: <unk> never drawn',
             r'top_k: keep the $k$ largest $o_j$',
             r'$\mathbf{p} = \mathrm{softmax}(\mathbf{o}\,/\,T)$',
             r'draw $c$ from $\mathbf{p}$ (NumPy)']
    for k, text in enumerate(steps):
        ax.text(px - pw / 2 + 0.3, 2.45 - k * 0.82, f'{k + 1}. {text}', ha='left', va='center',
                fontsize=10.5)
    return fig


# ----------------------------------------------------------------------------------------------
# Chapter 12: a unit's activation read against features of the text


def pearson(xs, ys):
    """The Pearson correlation of two equally long lists of numbers."""
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / (sxx * syy) ** 0.5


@figure('unit-features')
def unit_features():
    text = "He said.\n'Don't go!'"  # the chapter's made-up example
    # two of the chapter's features, by its rules (text_features)
    space = [1 if char == ' ' else 0 for char in text]
    word = []
    for char in text:
        word.append(word[-1] + 1 if char.isalpha() and word else int(char.isalpha()))
    # an imagined unit that follows the position in the word: low on gaps and first letters,
    # warming over the next ones, high from the fourth letter on
    unit = [{0: -0.7, 1: -0.5, 2: 0.1, 3: 0.5}.get(k, 0.7) for k in word]
    colours = matplotlib.colormaps['RdBu_r']
    fig, ax = canvas(10, 4.6, (-5.4, 20.6), (-3.4, 4.6))
    cell = 0.85
    rows = [('text', 4.0), ('feature: space', 3.0), ('feature: word position', 2.0),
            (r'an imagined unit: $\tanh(c_t)$', 0.9)]
    for label, y in rows:
        ax.text(-0.35, y, label, ha='right', va='center', fontsize=10.5)
    for i, char in enumerate(text):
        x = 0.45 + i * cell
        shown = {' ': '\u2423', '\n': '\u21b5'}.get(char, char)
        box(ax, x, 4.0, cell * 0.95, 0.8, shown, fc=STATE, fontsize=12, lw=0.8, rounded=False)
        for values, y in ((space, 3.0), (word, 2.0)):
            box(ax, x, y, cell * 0.95, 0.8, str(values[i]), fc='white', fontsize=10.5, lw=0.8,
                rounded=False)
        box(ax, x, 0.9, cell * 0.95, 1.0, '', fc=colours(0.5 + 0.4 * unit[i]), lw=0.8,
            rounded=False)
    right = 0.45 + len(text) * cell
    for values, y in ((space, 3.0), (word, 2.0)):
        r = f'{pearson(unit, values):+.2f}'.replace('-', '\u2212')
        ax.text(right, y, f'$r$ = {r}', ha='left', va='center', fontsize=11, color=RED)
    ax.text(right, 0.9, 'blue: $-1$\nred: $+1$', ha='left', va='center', fontsize=9.5)
    ax.text(right + 1.5, 4.0, 'with the unit:', ha='center', va='center', fontsize=10,
            color=RED)
    # from one correlation to a finding
    ax.text(7.6, -0.55, 'the same for every unit and every feature, over the held-out text: '
            '256 × 7 correlations', ha='center', va='center', fontsize=10.5)
    steps = ['pick: for each feature, the unit\nwith the largest $|r|$ on one half\n'
             '(rows 0, 2, 4, 6)',
             'check: its $r$ on the other half\n(rows 1, 3, 5, 7), which played\n'
             'no part in the choice',
             'compare: chance level, the 99th\npercentile of its $|r|$ with 100\n'
             'shifted copies of the feature']
    for k, text_k in enumerate(steps):
        x = -1.35 + k * 8.9
        box(ax, x, -2.35, 7.9, 1.9, text_k, fc='white', fontsize=10)
        if k:
            arrow(ax, (x - 8.9 + 3.95, -2.35), (x - 3.95, -2.35))
    return fig


# ----------------------------------------------------------------------------------------------
# Chapter 13: training part, validation slice and held-out tail


@figure('training-splits')
def training_splits():
    fig, ax = canvas(10, 3.9, (-1, 102), (-27, 17))
    parts = [  # start, width, inside the bar, colour, text colour, below: centre, name, use
        (0, 81, 'first 81%: 140,477 characters', LIGHT, 'black',
         22, 'training slice (first 81%)', 'trains the model\n(the gradient steps)'),
        (81, 9, '15,608', MIDDLE, 'black',
         57, 'validation slice (next 9%)', 'chooses the epoch and the settings\n'
         '(keep-best, early stopping)'),
        (90, 10, '17,342', DARK, 'white',
         92, 'held-out tail (last 10%)', 'reported once,\nat the very end'),
    ]
    for start, width, inside, fc, tc, centre, name, use in parts:
        ax.add_patch(Rectangle((start, 0), width, 9, fc=fc, ec='black', lw=1.2))
        ax.text(start + width / 2, 4.5, inside, ha='center', va='center', fontsize=10,
                color=tc, linespacing=1.6)
        arrow(ax, (start + width / 2, -0.4), (centre, -7.2), lw=1.2)
        ax.text(centre, -8.2, name, ha='center', va='top', fontsize=10.5, weight='bold')
        ax.text(centre, -11.6, use, ha='center', va='top', fontsize=10)
    line(ax, [(0, 10.5), (0, 12), (90, 12), (90, 10.5)], lw=1.1)
    ax.text(45, 12.8, 'first 90%: the training part of chapters 4 to 12; its last 10% is the '
            'validation slice', ha='center', va='bottom', fontsize=10)
    ax.text(0, -24.5, 'The Time Machine (173,427 characters) cut in reading order, not '
            'shuffled: no training window overlaps the other two', ha='left', va='center',
            fontsize=9, color='#444444')
    return fig


# ----------------------------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', type=Path, default=DEFAULT_OUT,
                        help=f'folder for the SVG files (default: {DEFAULT_OUT.relative_to(ROOT)})')
    parser.add_argument('--only', nargs='*', choices=sorted(FIGURES), metavar='NAME',
                        help=f'draw only these figures: {", ".join(sorted(FIGURES))}')
    parser.add_argument('--png', action='store_true', help='also write PNG previews')
    args = parser.parse_args(argv)
    matplotlib.rcdefaults()  # the same style whatever matplotlibrc the user has
    plt.rcParams['svg.hashsalt'] = 'd2lmini'
    plt.rcParams['svg.fonttype'] = 'path'
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.only or sorted(FIGURES):
        fig = FIGURES[name]()
        fig.savefig(args.out / f'{name}.svg', bbox_inches='tight', pad_inches=0.05,
                    metadata={'Date': None})
        if args.png:
            fig.savefig(args.out / f'{name}.png', bbox_inches='tight', pad_inches=0.05, dpi=110)
        plt.close(fig)
        print(f'{args.out / name}.svg')


if __name__ == '__main__':
    main()
