"""python -m benchmarks: measure training speed, memory and quality of the book's models in one run.

Each measurement runs in a fresh subprocess (one after the other), so that peak memory is per model.
Results go to --out (default benchmarks/results): latest.json, latest.csv, markdown tables, PNG plots.
"""
import argparse
import json
import os
import pathlib
import shlex
import subprocess
import sys
import tempfile
import time

import d2lmini

from . import BATCH_SIZE, LR, NUM_HIDDENS, NUM_STEPS, THETA, WARMUP_EPOCHS, flops, machine, report, throughput
from .kinds import KINDS
from .specs import DEFAULT_MODELS, MODELS

HERE = pathlib.Path(__file__).resolve().parent


def parse_args(argv):
    p = argparse.ArgumentParser(prog='python -m benchmarks', description=__doc__.split('\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--quick', action='store_true',
                   help='smoke run (~1-2 min): models scratch-rnn,gru (unless given), 12 minibatches per epoch, '
                        '2 timed epochs, 5 s of training per model for quality; writes to benchmarks/results/quick unless --out is given')
    p.add_argument('--long', action='store_true',
                   help='only the quality run, with --budget-seconds 1800 (unless given) and models gru,lstm '
                        '(unless given); writes quality-long.*')
    p.add_argument('--models', help='comma-separated, from: scratch-rnn, scratch-gru, scratch-lstm, rnn, gru, '
                                    'lstm (default: all but scratch-lstm)')
    p.add_argument('--epochs', type=int, default=3,
                   help=f'timed epochs per model and path (after {WARMUP_EPOCHS} warm-up)')
    p.add_argument('--rounds', type=int, default=3,
                   help='throughput: measure every model and path this many times, each in its own process, '
                        'in interleaved rounds; the median process counts (1 with --quick)')
    p.add_argument('--max-batches', type=int, help='cut each epoch to this many minibatches')
    p.add_argument('--budget-seconds', type=float, help='training time per model for quality (default 90)')
    p.add_argument('--text', choices=['full', 'letters', 'both'], default='full',
                   help='Tiny Shakespeare preprocessing for quality: full text (comparable with published '
                        'results) and/or letters only (the homework)')
    p.add_argument('--only', choices=['throughput', 'quality'], help='run only one part')
    p.add_argument('--no-peer', action='store_true', help='skip the d2l 1.0.3 peer')
    p.add_argument('--device', choices=['cpu', 'gpu'], default='cpu')
    p.add_argument('--out', help='output directory')
    args = p.parse_args(argv)
    default_models = ('gru', 'lstm') if args.long else ('scratch-rnn', 'gru') if args.quick else DEFAULT_MODELS
    args.models = args.models.split(',') if args.models else list(default_models)
    unknown = [m for m in args.models if m not in MODELS]
    if unknown:
        p.error(f'unknown model(s) {unknown}; choose from {sorted(MODELS)}')
    if args.quick:
        args.max_batches = args.max_batches or 12
        args.epochs = min(args.epochs, 2)
        args.budget_seconds = args.budget_seconds or 5
        args.rounds = 1
    if args.rounds < 1 or args.epochs < 1:
        p.error('--rounds and --epochs must be at least 1')
    if args.long:
        args.only = 'quality'
        args.budget_seconds = args.budget_seconds or 1800
    args.budget_seconds = args.budget_seconds or 90
    args.out = pathlib.Path(args.out or HERE / 'results' / ('quick' if args.quick else ''))
    return args


def plan(args):
    """The tasks of this run, in the order they run (one subprocess each)."""
    common = {'device': args.device}
    matmul_n = matmul_size(args)
    tasks = []
    if args.only != 'quality':
        tasks.append(dict(common, kind='matmul', n=matmul_n))
        # Whole rounds one after the other, so that a slow spell of the machine hits every path alike
        for round_ in range(1, args.rounds + 1):
            for m in args.models:
                timing = dict(common, model=m, epochs=args.epochs, max_batches=args.max_batches, round=round_)
                tasks += [dict(timing, kind='train_ch8'), dict(timing, kind='paired')]
                if MODELS[m].peer and not args.no_peer:
                    tasks += [dict(timing, kind='d2l'), dict(timing, kind='d2l-noplot')]
        # The peak again at the end: on a busy machine one measurement can be far too low; the best counts
        tasks.append(dict(common, kind='matmul', n=matmul_n))
    if args.only != 'throughput':
        texts = {'full': [False], 'letters': [True], 'both': [False, True]}[args.text]
        # a validation point per minute of training in long runs, four otherwise
        checkpoints = max(4, round(args.budget_seconds / 60)) if args.long else 4
        tasks += [dict(common, kind='quality', model=m, budget_seconds=args.budget_seconds, letters_only=lo,
                       checkpoints=checkpoints) for lo in texts for m in args.models]
    return tasks


def matmul_size(args):
    return 1024 if args.quick else 2048


def run_task(task, log):
    """Run one task in a subprocess; return its result dict, or None (after printing why) if it failed."""
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / 'result.json'
        env = dict(os.environ, MPLBACKEND='Agg')
        env['PYTHONPATH'] = os.pathsep.join(filter(None, [str(HERE.parent), env.get('PYTHONPATH')]))
        proc = subprocess.run([sys.executable, '-m', 'benchmarks.worker', json.dumps(task), str(out)],
                              cwd=HERE.parent, env=env, capture_output=True, text=True)
        if proc.returncode != 0 or not out.exists():
            print(f'  FAILED {task}:\n' + '\n'.join(proc.stderr.strip().splitlines()[-15:]), file=log)
            return None
        return json.loads(out.read_text(encoding='utf-8'))


def run_all(tasks, show_rounds):
    """Run the tasks one after the other, printing a line per result; return the results."""
    results = []
    for task in tasks:
        result = run_task(task, sys.stdout)
        if result is None:
            continue
        round_ = f"round {task['round']}: " if 'round' in task and show_rounds else ''
        print(f'  [{result["seconds"]:5.0f} s] {round_}{KINDS[result["kind"]].describe(result)}', flush=True)
        results.append(result)
    return results


def collect(results, done):
    """Put the task results into ``results`` by their kind's group; one row per model and path."""
    runs, paired = {}, {}  # throughput results by (model, kind), and paired ones by model; one per round
    for result in done:
        group = KINDS[result['kind']].group
        if group == 'matmul':
            results.setdefault('matmul_runs', []).append(result)
            results['matmul'] = max(results['matmul_runs'], key=lambda r: r['matmul_gflops'])
        elif group == 'quality':
            results['quality'].append(result)
        elif group == 'paired':
            paired.setdefault(result['model'], []).append(result)
        else:
            runs.setdefault((result['model'], result['kind']), []).append(result)
    results['throughput'] = [throughput.combine_rounds(r) for r in runs.values()]
    results['paired'] = [throughput.combine_rounds(r, 'ratio', 'cpu_ratio') for r in paired.values()]


def print_report(results, models, long_run):
    """The tables and targets on the terminal (write_all writes the same into files)."""
    tables = []
    if results['throughput']:
        tables += [report.throughput_table(results, models), report.paired_table(results, models),
                   report.resources_table(results, models),
                   report.throughput_table(results, models, 'cpu_tokens_per_sec')]
    for header, rows in tables:
        print()
        report.print_table(header, rows)
    if results['throughput']:
        print()
        for t in report.targets(results, models):
            print(f"  {'met    ' if t['met'] else 'NOT MET'}  {t['target']}: {t['value']} "
                  f"(in CPU time: {t['cpu_value']})")
    if results['quality']:
        print()
        report.print_table(*report.quality_table(results, best=long_run))


def check_corpora(names):
    """Fail once, up front, if a corpus is neither local nor downloadable (not once per subprocess)."""
    for name in names:
        try:
            d2lmini.corpus_path(name)
        except OSError as err:
            raise SystemExit(f'error: {err}')


def new_results(args, command):
    """The results of a run before any measurement: machine, settings, labels and FLOP counts."""
    vocab_size = len(d2lmini.load_corpus_time_machine()[1])  # the throughput runs' vocabulary
    return {
        'machine': machine.machine_info(args.device),
        'settings': {'batch_size': BATCH_SIZE, 'num_steps': NUM_STEPS, 'num_hiddens': NUM_HIDDENS, 'lr': LR,
                     'theta': THETA, 'epochs': args.epochs, 'warmup_epochs': WARMUP_EPOCHS,
                     'max_batches': args.max_batches, 'budget_seconds': args.budget_seconds,
                     'models': args.models, 'quick': args.quick, 'rounds': args.rounds,
                     'matmul_n': matmul_size(args), 'command': command},
        'labels': {m: MODELS[m].label for m in MODELS},
        'scratch': {m: MODELS[m].scratch for m in MODELS},
        'flops_per_token': {m: flops.train_flops_per_token(MODELS[m].cell, vocab_size, NUM_HIDDENS)
                            for m in MODELS},
        'throughput': [], 'quality': [],
    }


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    check_corpora((['time_machine'] if args.only != 'quality' else [])
                  + (['tiny_shakespeare'] if args.only != 'throughput' else []))
    started = time.perf_counter()
    results = new_results(args, shlex.join(['python', '-m', 'benchmarks', *argv]))
    tasks = plan(args)
    print(f'{len(tasks)} measurements, one subprocess each; results into {args.out}', flush=True)
    collect(results, run_all(tasks, show_rounds=args.rounds > 1))
    results['machine']['load_average_end'] = [round(x, 2) for x in os.getloadavg()]
    results['total_seconds'] = time.perf_counter() - started
    print_report(results, args.models, args.long)
    written = report.write_all(results, args.out, args.models, long_run=args.long)
    print(f'\nwrote {", ".join(written)} into {args.out} in {results["total_seconds"]:.0f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
