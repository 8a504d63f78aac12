"""Tables, CSV, JSON, markdown and plots of a benchmark run."""
import csv
import io
import json
import math
import pathlib

from .kinds import PATHS

# Published character-level results on the full Tiny Shakespeare text (65 characters); losses in nats.
PUBLISHED = [
    ('nanoGPT baby GPT (6 layers, 384 wide, ~10.7M parameters), ~3 min on one A100 GPU', 1.4697,
     'https://github.com/karpathy/nanoGPT#quick-start'),
    ('nanoGPT small GPT (4 layers, 128 wide), ~3 min on a laptop CPU', 1.88,
     'https://github.com/karpathy/nanoGPT#quick-start'),
]


def index(rows):
    """{(model, path): row} of the throughput rows (the path is the row's kind)."""
    return {(r['model'], r['kind']): r for r in rows}


def ratio(a, b):
    return a / b if a and b else None


def fmt(value, spec=',.0f', missing='—'):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    return format(value, spec)


def markdown_table(header, rows):
    lines = ['| ' + ' | '.join(header) + ' |', '| ' + ' | '.join('---' for _ in header) + ' |']
    lines += ['| ' + ' | '.join(str(c) for c in row) + ' |' for row in rows]
    return '\n'.join(lines) + '\n'


def throughput_table(results, models, key='tokens_per_sec'):
    """Rows of the speed table: tokens/s of train_ch8 and of the d2l peer, and their ratios.

    key='cpu_tokens_per_sec': the same per second of process CPU time instead of wall-clock time.
    """
    by = index(results['throughput'])
    unit = 'tokens/s' if key == 'tokens_per_sec' else 'tokens per CPU-s'
    rows = []
    for m in models:
        speed = {p: by.get((m, p), {}).get(key) for p in PATHS}
        rows.append([results['labels'][m]] + [fmt(speed[p]) for p in PATHS]
                    + [fmt(ratio(speed['train_ch8'], speed['d2l']), '.2f') + '×' if speed['d2l'] else '—',
                       fmt(ratio(speed['train_ch8'], speed['d2l-noplot']), '.2f') + '×'
                       if speed['d2l-noplot'] else '—'])
    header = ['model'] + [f'{t} ({unit})' for t in PATHS.values()] + [
        'train_ch8 / d2l', 'train_ch8 / d2l, no plot']
    return header, rows


def paired_by_model(results):
    return {r['model']: r for r in results.get('paired', [])}


def paired_table(results, models):
    """Rows of train_ch8 against the bare loop, both run in the same process (median process)."""
    by = paired_by_model(results)
    rows = []
    for m in models:
        r = by.get(m)
        if r is None:
            continue
        rows.append([results['labels'][m], fmt(r['train_ch8']['tokens_per_sec']),
                     fmt(r['bare']['tokens_per_sec']),
                     ', '.join(format(x, '.0%') for x in r.get('rounds_ratio', [r['ratio']])),
                     fmt(r['ratio'], '.0%'), fmt(r.get('cpu_ratio'), '.0%')])
    header = ['model', 'd2lmini.train_ch8 (tokens/s)', 'bare Gluon loop (tokens/s)',
              'train_ch8 / bare, each process', 'train_ch8 / bare (median)', 'the same in CPU time']
    return header, rows


def resources_table(results, models):
    """Rows of the physical-limit table: FLOPs per token, reached GFLOP/s and peak memory."""
    by, pairs = index(results['throughput']), paired_by_model(results)
    peak = results.get('matmul', {}).get('matmul_gflops')
    small = results.get('matmul', {}).get('small_matmul_gflops')
    rows = []
    for m in models:
        row = by.get((m, 'train_ch8'), {})
        flops = results['flops_per_token'][m]
        gflops = row.get('tokens_per_sec', 0) * flops / 1e9 if row else None
        rows.append([results['labels'][m], fmt(flops / 1e6, '.2f'), fmt(gflops, '.2f'),
                     fmt(ratio(gflops, peak), '.1%'), fmt(ratio(gflops, small), '.0%'),
                     fmt(row.get('peak_rss_mb'), '.0f'), fmt(row.get('rss_increase_mb'), '.0f'),
                     fmt(pairs.get(m, {}).get('bare_rss_increase_mb'), '.0f'),
                     fmt(by.get((m, 'd2l-noplot'), {}).get('rss_increase_mb'), '.0f')])
    header = ['model', 'training MFLOP/token', 'train_ch8 GFLOP/s', 'of the large-matmul peak',
              'of the 32×256·256×256 matmul', 'peak RSS, train_ch8 (MB)', 'of which training (MB)',
              'training, bare loop (MB)', 'training, d2l no plot (MB)']
    return header, rows


def quality_table(results, best=False):
    """The quality rows; with ``best``, also the lowest validation perplexity and its test perplexity."""
    rows = []
    for r in results.get('quality', []):
        text = 'letters only (27)' if r['letters_only'] else f"full text ({r['vocab_size']})"
        row = [results['labels'][r['model']], text, fmt(r['budget_seconds'], '.0f'),
               fmt(r['epochs_done'], '.2f'), fmt(r['train_ppl'], '.2f'),
               fmt(r['val_ppl'], '.2f'), fmt(r['val_loss'], '.3f')]
        if best:
            row += [f"{r['best_val_ppl']:.2f} (after {r['best_at_seconds'] / 60:.0f} min, "
                    f"{r['best_at_epochs']:.1f} epochs)", fmt(r['test_ppl_at_best'], '.2f')]
        rows.append(row)
    header = ['model', 'text (characters)', 'training budget (s)', 'epochs done', 'training perplexity',
              'validation perplexity', 'validation loss (nats)']
    if best:
        header += ['lowest validation perplexity', 'test perplexity there']
    return header, rows


def published_table():
    rows = [[name, f'{loss:g}', f'{math.exp(loss):.2f}', f'<{url}>'] for name, loss, url in PUBLISHED]
    return ['published result (full text, 65 characters)', 'validation loss (nats)',
            'perplexity', 'source'], rows


def targets(results, models):
    """The speed targets (a Gluon model's train_ch8 within 90% of the bare loop, and train_ch8 at
    least as fast as d2l 1.0.3), each with its measured value and whether it is met."""
    by = index(results['throughput'])
    def speeds(m, p):
        row = by.get((m, p), {})
        return row.get('tokens_per_sec'), row.get('cpu_tokens_per_sec')

    pairs, out = paired_by_model(results), []
    for m in models:
        ch8, ch8_cpu = speeds(m, 'train_ch8')
        pair = pairs.get(m)
        if not results['scratch'][m] and pair:
            out.append({'target': f'{results["labels"][m]}: train_ch8 ≥ 90% of the bare loop (same process)',
                        'value': f"{pair['ratio']:.0%}", 'cpu_value': fmt(pair.get('cpu_ratio'), '.0%'),
                        'met': pair['ratio'] >= 0.9})
        for p in ('d2l', 'd2l-noplot'):
            peer, peer_cpu = speeds(m, p)
            if ch8 and peer:
                out.append({'target': f'{results["labels"][m]}: train_ch8 at least as fast as {PATHS[p]}',
                            'value': f'{ch8 / peer:.2f}×', 'cpu_value': f'{ch8_cpu / peer_cpu:.2f}×' if ch8_cpu and peer_cpu else '—',
                            'met': ch8 >= peer})
    return out


def machine_markdown(results, quality_only=False):
    m = results['machine']
    s = results['settings']
    if quality_only:
        return (f"Measured on {m['date']}: {m['cpu']}, {m['usable_cores']} usable cores (load average "
                f"{m['load_average']} at the start, {m.get('load_average_end')} at the end), device `{m['device']}`"
                + (f" ({m['gpu']})" if m.get('gpu') else '') + f"; Python {m['python']}, MXNet {m['mxnet']}; "
                f"batch {s['batch_size']} × {s['num_steps']} steps, {s['num_hiddens']} hidden units, learning "
                f"rate {s['lr']:g}, clipping θ = {s['theta']:g}; {s['budget_seconds'] / 60:.3g} minutes of training "
                f"per model; command `{s['command']}`.\n")
    lines = [f"Measured on {m['date']}: {m['cpu']}, {m['usable_cores']} usable cores "
             f"(load average {m['load_average']} at the start), device `{m['device']}`"
             + (f" ({m['gpu']})" if m.get('gpu') else '') + '; '
             f"Python {m['python']}, MXNet {m['mxnet']}, NumPy {m['numpy']}, d2l {m['d2l']}; "
             f"OMP_NUM_THREADS {m['OMP_NUM_THREADS']}.",
             '',
             f"Settings: batch {s['batch_size']} × {s['num_steps']} steps, {s['num_hiddens']} hidden units, "
             f"learning rate {s['lr']:g}, clipping θ = {s['theta']:g}; throughput is the median of "
             f"{s['epochs']} timed epochs after {s['warmup_epochs']} warm-up "
             f"epoch{'' if s['warmup_epochs'] == 1 else 's'}, "
             + (f"each cut to {s['max_batches']} minibatches" if s['max_batches'] else
                'each a whole epoch of the training text')
             + (f", in each of {s['rounds']} processes per model and path (run in {s['rounds']} interleaved "
                "rounds; the tables show the median process)" if s.get('rounds', 1) > 1 else '')
             + "; `train_ch8` against the bare loop: both in one process, an epoch of each in turn"
             + f"; large-matmul peak {fmt(results.get('matmul', {}).get('matmul_gflops'), '.1f')} GFLOP/s "
             f"(float32 {s['matmul_n']}² `np.dot`, median of 7, the better of a measurement at the start "
             f"and one at the end of the run); command `{s['command']}`."]
    if s.get('quick'):
        lines += ['', '**This was a `--quick` smoke run: the numbers are not meaningful.**']
    return '\n'.join(lines) + '\n'


def write_csv(path, header, rows):
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f, lineterminator='\n')
        writer.writerow(header)
        writer.writerows(rows)


def csv_rows(results):
    """Throughput rows for latest.csv: one per model and path measured in processes of its own, and
    two per model ('paired:train_ch8', 'paired:bare') for the runs of both paths in one process."""
    peak = results.get('matmul', {}).get('matmul_gflops')
    header = ['model', 'path', 'tokens_per_sec', 'cpu_tokens_per_sec', 'timed_epochs', 'spread',
              'epoch_tokens_per_sec', 'rounds_tokens_per_sec', 'train_ch8_over_bare_by_process',
              'train_flops_per_token', 'gflops', 'fraction_of_matmul_peak', 'peak_rss_mb',
              'rss_increase_mb']
    entries = [(r['kind'], r, r.get('rounds_tokens_per_sec', [r['tokens_per_sec']]), '',
                r['peak_rss_mb'], r['rss_increase_mb']) for r in results['throughput']]
    for r in results.get('paired', []):
        by_process = ' '.join(f'{x:.3f}' for x in r.get('rounds_ratio', [r['ratio']]))
        entries += [('paired:train_ch8', dict(r['train_ch8'], model=r['model']), [], by_process,
                     r['peak_rss_mb'], r['rss_increase_mb']),
                    ('paired:bare', dict(r['bare'], model=r['model']), [], by_process,
                     None, r['bare_rss_increase_mb'])]
    rows = []
    for path, r, rounds, by_process, peak_rss, increase in entries:
        flops = results['flops_per_token'][r['model']]
        gflops = r['tokens_per_sec'] * flops / 1e9
        rows.append([r['model'], path, f"{r['tokens_per_sec']:.1f}",
                     f"{r['cpu_tokens_per_sec']:.1f}" if 'cpu_tokens_per_sec' in r else '', r['timed_epochs'],
                     f"{r['spread']:.3f}", ' '.join(f'{v:.0f}' for v in r['epoch_tokens_per_sec']),
                     ' '.join(f'{v:.0f}' for v in rounds), by_process,
                     flops, f'{gflops:.3f}', f'{gflops / peak:.4f}' if peak else '',
                     fmt(peak_rss, '.1f', ''), fmt(increase, '.1f', '')])
    return header, rows


def plot_throughput(results, models, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    by = index(results['throughput'])
    pairs = paired_by_model(results)
    speeds = {title: [by.get((m, p), {}).get('tokens_per_sec', 0) for m in models] for p, title in PATHS.items()}
    bare = [pairs[m]['bare']['tokens_per_sec'] if m in pairs else 0 for m in models]
    bars = {PATHS['train_ch8']: speeds.pop(PATHS['train_ch8']),
            'bare Gluon loop (run alongside train_ch8)': bare, **speeds}
    fig, ax = plt.subplots(figsize=(8, 3.6))
    width = 0.8 / len(bars)
    for i, (title, values) in enumerate(bars.items()):
        xs = [j + (i - (len(bars) - 1) / 2) * width for j in range(len(models))]
        ax.bar(xs, [v / 1e3 for v in values], width, label=title)
    ax.set_xticks(range(len(models)), [results['labels'][m] for m in models])
    ax.set_ylabel('thousand tokens / s')
    ax.set_title('Training throughput (higher is better)')
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_quality(quality_rows, labels, path, title):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for r in quality_rows:
        text = 'letters' if r['letters_only'] else 'full text'
        ax.plot([c[0] for c in r['curve']], [c[3] for c in r['curve']], marker='o',
                label=f"{labels[r['model']]} ({text})")
    ax.set_xlabel('training time (s)')
    ax.set_ylabel('validation perplexity')
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def print_table(header, rows, file=None):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    out = io.StringIO()
    for row in [header, ['-' * w for w in widths], *rows]:
        out.write('  '.join(str(c).rjust(w) for c, w in zip(row, widths)) + '\n')
    print(out.getvalue(), end='', file=file)


def write_all(results, out_dir, models, long_run=False):
    """Write latest.json, latest.csv, the markdown tables and the plots into ``out_dir``.

    ``long_run`` (``--long``): the quality files are quality-long.*, and their table also has
    the lowest validation perplexity and the test perplexity there.
    """
    quality_name = 'quality-long' if long_run else 'quality'
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if results.get('throughput'):
        (out / 'latest.json').write_text(json.dumps(results, indent=1), encoding='utf-8')
        write_csv(out / 'latest.csv', *csv_rows(results))
        (out / 'machine.md').write_text(machine_markdown(results), encoding='utf-8')
        (out / 'throughput.md').write_text(markdown_table(*throughput_table(results, models)), encoding='utf-8')
        (out / 'paired.md').write_text(markdown_table(*paired_table(results, models)), encoding='utf-8')
        (out / 'throughput-cpu.md').write_text(
            markdown_table(*throughput_table(results, models, 'cpu_tokens_per_sec')), encoding='utf-8')
        (out / 'resources.md').write_text(markdown_table(*resources_table(results, models)), encoding='utf-8')
        met = targets(results, models)
        (out / 'targets.md').write_text(markdown_table(
            ['target', 'measured (wall clock)', 'met?', 'same ratio in CPU time'],
            [[t['target'], t['value'], 'yes' if t['met'] else '**no**', t['cpu_value']] for t in met]),
            encoding='utf-8')
        plot_throughput(results, models, out / 'throughput.png')
        written += ['latest.json', 'latest.csv', 'machine.md', 'throughput.md', 'paired.md', 'throughput-cpu.md',
                    'resources.md',
                    'targets.md', 'throughput.png']
    if results.get('quality'):
        header, rows = quality_table(results, best=long_run)
        if not results.get('throughput'):  # a quality-only run says where and when it ran
            (out / f'{quality_name}-machine.md').write_text(machine_markdown(results, quality_only=True),
                                                           encoding='utf-8')
            written.append(f'{quality_name}-machine.md')
        (out / f'{quality_name}.md').write_text(markdown_table(header, rows), encoding='utf-8')
        write_csv(out / f'{quality_name}.csv', header, rows)
        (out / f'{quality_name}.json').write_text(json.dumps(
            {'machine': results['machine'], 'quality': results['quality']}, indent=1), encoding='utf-8')
        plot_quality(results['quality'], results['labels'], out / f'{quality_name}.png',
                     'Validation perplexity by training time (lower is better)')
        written += [f'{quality_name}.md', f'{quality_name}.csv', f'{quality_name}.json', f'{quality_name}.png']
    (out / 'published.md').write_text(markdown_table(*published_table()), encoding='utf-8')
    return written + ['published.md']
