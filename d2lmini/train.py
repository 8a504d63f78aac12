"""Train a character-level language model from the command line, with checkpoints and resuming.

Meant for long runs (a GPU box, or overnight on a CPU). Examples::

    python -m d2lmini.train --corpus time_machine --model gru --epochs 50 --out runs/tm-gru
    python -m d2lmini.train --corpus tiny_shakespeare --full-text --model lstm --hiddens 512 \\
        --embed-size 64 --dropout 0.25 --optimizer adam --lr 2e-3 --schedule plateau \\
        --keep-best --patience 6 --epochs 60 --out runs/shakespeare-lstm

With --keep-best the run also keeps ``best.params``, the weights of the epoch with the lowest
validation perplexity, and the test perplexity it reports is theirs; --patience stops early.
The validation slice is carved out of the text before the test slice (--val-fraction,
--test-fraction), so nothing is chosen on the test text.

After every epoch the run directory holds ``model.params``, ``trainer.states``, ``run.json``
(options, vocabulary, metrics) and ``metrics.csv``, each replaced atomically. Rerunning the same
command resumes after the last finished epoch (Ctrl-C is safe); a larger ``--epochs`` trains on.
Each epoch reseeds from (--seed, epoch), so a resumed run repeats an uninterrupted one.
In a notebook, ``net, vocab, config = d2lmini.train.load_run('runs/tm-gru')`` gives the model back.
MXNet uses one OpenMP thread on a 2-core machine unless told otherwise; the trainer restarts itself
with OMP_NUM_THREADS set to the cores it may use (--threads), unless OMP_NUM_THREADS is already set.
"""
import argparse
import contextlib
import csv
import io
import json
import math
import os
import pathlib
import shlex
import signal
import statistics
import sys
import threading
import time

from mxnet import gluon

import d2lmini
from d2lmini.corpora import sha1sum
from tqdm import tqdm

DEFAULT_PREFIX = {'time_machine': 'time traveller', 'tiny_shakespeare': 'but brutus is an honorable man'}
# The options that define the model, the data and the optimization, with the values a run.json
# written before an option existed stands for; a resumed run must repeat them.
CONFIG_DEFAULTS = {'corpus': None, 'full_text': None, 'model': None, 'hiddens': None, 'layers': None,
                   'batch_size': None, 'num_steps': None, 'lr': None, 'theta': None, 'seed': None,
                   'embed_size': 0, 'dropout': 0.0, 'optimizer': 'sgd', 'weight_decay': 0.0,
                   'schedule': 'constant', 'step_epochs': 10, 'lr_factor': 0.5, 'final_lr': 0.0,
                   'lr_patience': 2, 'val_fraction': 0.05, 'test_fraction': 0.05,
                   'keep_best': False, 'patience': None}
CONFIG_KEYS = tuple(CONFIG_DEFAULTS)


class RunError(Exception):
    """A problem the user can fix; printed as one line, without a traceback."""


def fraction(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected a number, got {text!r}') from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f'must be in [0, 1), got {text}')
    return value


def positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f'expected a number, got {text!r}') from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f'must be positive, got {text}')
        return value
    return parse


def parse_args(argv):
    p = argparse.ArgumentParser(prog='python -m d2lmini.train', description=__doc__.split('\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--corpus', choices=sorted(d2lmini.CORPORA), default='time_machine')
    p.add_argument('--full-text', action='store_true', help='keep case and punctuation (default: letters only)')
    p.add_argument('--model', choices=d2lmini.LAYER_KINDS, default='gru')
    p.add_argument('--hiddens', type=positive(int), default=256)
    p.add_argument('--layers', type=positive(int), default=1)
    p.add_argument('--embed-size', type=int, default=0, help='a learned embedding of this size '
                   '(d2lmini.EmbeddingRNNModel); 0: one-hot inputs (d2lmini.RNNModel)')
    p.add_argument('--dropout', type=fraction, default=0.0, help='dropout on the recurrent outputs '
                   '(and embedded inputs), and between stacked layers')
    p.add_argument('--batch-size', type=positive(int), default=32)
    p.add_argument('--num-steps', type=positive(int), default=35)
    p.add_argument('--epochs', type=positive(int), required=True, help='total number of epochs')
    p.add_argument('--optimizer', choices=d2lmini.OPTIMIZERS, default='sgd')
    p.add_argument('--lr', type=positive(float), default=1.0)
    p.add_argument('--weight-decay', type=float, default=0.0, help='L2 penalty (Gluon wd)')
    p.add_argument('--schedule', choices=d2lmini.SCHEDULES, default='constant',
                   help='learning rate by epoch: step (x --lr-factor every --step-epochs), cosine '
                        '(to --final-lr at --epochs), plateau (x --lr-factor after --lr-patience '
                        'epochs without a new lowest validation perplexity)')
    p.add_argument('--step-epochs', type=positive(int), default=10)
    p.add_argument('--lr-factor', type=fraction, default=0.5)
    p.add_argument('--final-lr', type=float, default=0.0)
    p.add_argument('--lr-patience', type=positive(int), default=2)
    p.add_argument('--theta', type=positive(float), default=1.0, help='gradient clipping norm')
    p.add_argument('--keep-best', action='store_true', help='keep best.params, the epoch with the '
                   'lowest validation perplexity, and report its test perplexity')
    p.add_argument('--patience', type=positive(int), help='stop after this many epochs without a new '
                   'lowest validation perplexity (default: never)')
    p.add_argument('--time-budget', type=positive(float), help='minutes of training at most: no epoch '
                   'starts that would end past them (judged by the last epoch\'s length)')
    p.add_argument('--track-test', action='store_true', help='also measure the test perplexity after '
                   'every epoch (metrics.csv: test_ppl), to draw it; it chooses nothing')
    p.add_argument('--val-fraction', type=fraction, default=0.05,
                   help='validation slice: this fraction of the text, just before the test slice')
    p.add_argument('--test-fraction', type=fraction, default=0.05,
                   help='test slice: this fraction at the end of the text')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--device', choices=['auto', 'cpu', 'gpu'], default='auto', help='auto: a GPU if any')
    p.add_argument('--threads', type=positive(int), help='OpenMP threads for MXNet (default: the '
                   'cores this process may use; ignored if OMP_NUM_THREADS is set)')
    p.add_argument('--prefix', help="start of the final sample (default: 'time traveller' or "
                                    "'but brutus is an honorable man', by corpus)")
    p.add_argument('--out', required=True, help='run directory (created, or resumed if it holds run.json)')
    return p.parse_args(argv)


def build_net(config, vocab_size):
    config = {key: config.get(key, default) for key, default in CONFIG_DEFAULTS.items()}
    layer = d2lmini.get_rnn_layer(config['model'], config['hiddens'], config['layers'],
                                  dropout=config['dropout'])
    if config['embed_size']:
        return d2lmini.EmbeddingRNNModel(layer, vocab_size, config['embed_size'], config['dropout'])
    return d2lmini.RNNModel(layer, vocab_size, config['dropout'])


def rebuild_vocab(idx_to_token):
    vocab = d2lmini.Vocab(reserved_tokens=idx_to_token[1:])
    if vocab.idx_to_token != idx_to_token:
        raise RunError(f'run.json holds a malformed vocabulary: {idx_to_token!r}')
    return vocab


def read_run(out):
    """run.json of a run directory (or None), after checking that the saved files belong to it."""
    path = pathlib.Path(out) / 'run.json'
    if not path.exists():
        return None
    try:
        run = json.loads(path.read_text(encoding='utf-8'))
        files = run['sha1'].items()
    except (ValueError, KeyError, AttributeError) as err:
        raise RunError(f'{path} is not a run.json written by d2lmini.train ({err!r})') from None
    for name, digest in files:
        if not (path.parent / name).exists() or sha1sum(path.parent / name) != digest:
            raise RunError(f'{path.parent / name} does not match run.json (was the run killed while '
                           'saving, or the file replaced?); use another --out to start afresh')
    return run


def load_run(out_dir, device=None, best=None):
    """(net, vocab, config) of a saved run: the model with the parameters of its last finished epoch,
    or (``best=True``, the default for a --keep-best run) of its epoch of lowest validation perplexity."""
    run = read_run(out_dir)
    if run is None:
        raise FileNotFoundError(f'{out_dir} holds no run.json: not a run directory of d2lmini.train')
    if best is None:
        best = bool(run['config'].get('keep_best'))
    if best and 'best.params' not in run['sha1']:
        raise FileNotFoundError(f'{out_dir} keeps no best.params: it was not trained with --keep-best')
    vocab = rebuild_vocab(run['idx_to_token'])
    net = build_net(run['config'], len(vocab))
    name = 'best.params' if best else 'model.params'
    net.load_parameters(str(pathlib.Path(out_dir) / name), ctx=device or d2lmini.try_gpu())
    return net, vocab, run['config']


def atomic_write(path, write):
    """Call write(temp_path) on a temporary file beside ``path``, then move it onto ``path``."""
    tmp = str(path.parent / f'.{path.name}.{os.getpid()}.tmp')
    try:
        write(tmp)
        with open(tmp, 'rb+') as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path, text):
    atomic_write(path, lambda tmp: pathlib.Path(tmp).write_text(text, encoding='utf-8'))


@contextlib.contextmanager
def sigint_deferred():
    """Hold back Ctrl-C while files are written: they then always describe the same epoch."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    previous = signal.signal(signal.SIGINT, lambda *_: caught.append(True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


METRICS = ('train_ppl', 'val_ppl', 'test_ppl', 'lr', 'clipped', 'grad_norm', 'tokens_per_sec', 'seconds')


def save_run(out, run, net=None, trainer=None, best=False):
    """Write the parameters (and, with ``best``, best.params), the trainer states, run.json (the
    commit) and metrics.csv."""
    with sigint_deferred():
        if net is not None:
            atomic_write(out / 'model.params', net.save_parameters)
            atomic_write(out / 'trainer.states', trainer.save_states)
            if best:
                atomic_write(out / 'best.params', net.save_parameters)
            names = ['model.params', 'trainer.states']
            names += ['best.params'] if run['config'].get('keep_best') else []
            run['sha1'] = {name: sha1sum(out / name) for name in names}
        write_text(out / 'run.json', json.dumps(run, indent=1))
        rows = io.StringIO()
        writer = csv.writer(rows, lineterminator='\n')
        writer.writerow(('epoch',) + METRICS)
        for i, m in enumerate(run['metrics'], 1):
            writer.writerow([i] + [f'{m[key]:.6g}' if key in m else '' for key in METRICS])
        write_text(out / 'metrics.csv', rows.getvalue())


def make_updater(net, config, num_epochs):
    return d2lmini.Updater(net, config['lr'], config['optimizer'], config['weight_decay'],
                           config['schedule'], num_epochs, step_epochs=config['step_epochs'],
                           factor=config['lr_factor'], final_lr=config['final_lr'],
                           lr_patience=config['lr_patience'])


def train(args, out):
    config = {key: getattr(args, key) for key in CONFIG_KEYS}
    run = read_run(out)
    if run is not None:
        saved = {key: run['config'].get(key, default) for key, default in CONFIG_DEFAULTS.items()}
        diff = [f'--{k.replace("_", "-")}: saved {saved[k]!r}, now {config[k]!r}'
                for k in CONFIG_KEYS if saved[k] != config[k]]
        if diff:
            raise RunError(f'{out} holds a run with other options ({"; ".join(diff)}). '
                           'Repeat the saved options to resume it, or use another --out.')
    if args.embed_size < 0:
        raise RunError(f'--embed-size must be 0 (one-hot inputs) or positive, got {args.embed_size}')
    try:
        device = d2lmini.get_device(args.device)
    except ValueError as err:
        raise RunError(f'--device {args.device}: {err}') from None
    try:
        train_iter, val_iter, test_iter, vocab = d2lmini.load_data_corpus(
            args.corpus, args.batch_size, args.num_steps, letters_only=not args.full_text,
            val_fraction=args.val_fraction, test_fraction=args.test_fraction)
    except (ValueError, OSError) as err:
        raise RunError(f'cannot load corpus {args.corpus!r}: {err}') from None
    prefix = DEFAULT_PREFIX.get(args.corpus, vocab.idx_to_token[1]) if args.prefix is None else args.prefix
    try:
        d2lmini.check_prefix(prefix, 100, vocab)
    except ValueError as err:
        raise RunError(f'--prefix: {err}') from None
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise RunError(f'cannot use --out {out}: {err}') from None
    try:
        net = build_net(config, len(vocab))
    except ValueError as err:
        raise RunError(str(err)) from None
    if run is None:
        run = {'config': config, 'idx_to_token': vocab.idx_to_token, 'metrics': []}
        d2lmini.set_seed(args.seed)
        d2lmini.init_params(net, device)
        print(f'Starting a fresh run in {out}: {args.model}, {args.layers} x {args.hiddens} hiddens, '
              f'{args.corpus}, {args.epochs} epochs on {device}, {threads_note()}.')
    else:
        if run['idx_to_token'] != vocab.idx_to_token:
            raise RunError(f'the vocabulary of {args.corpus!r} differs from the one in {out}/run.json')
        net.load_parameters(str(out / 'model.params'), ctx=device)
        save_run(out, run)  # repairs metrics.csv if a crash left it behind run.json
    try:
        updater = make_updater(net, config, args.epochs)
    except ValueError as err:
        raise RunError(str(err)) from None
    if run['metrics']:
        updater.trainer.load_states(str(out / 'trainer.states'))
        for metrics in run['metrics']:  # the plateau schedule's state, replayed
            updater.end_epoch(metrics['val_ppl'])
    done = len(run['metrics'])
    if run.get('stopped_early'):
        why = 'the time budget' if run.get('time_budget_reached') else f'--patience {args.patience}'
        print(f'The run in {out} stopped early after {done} epochs ({why}); nothing to train.')
    elif done >= args.epochs:
        print(f'All {done} epochs are already done in {out} (--epochs {args.epochs}); nothing to train.')
    elif done:
        print(f'Resuming {out} from epoch {done + 1} of {args.epochs} ({done} done).')
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    start_epoch = args.epochs + 1 if run.get('stopped_early') else done + 1
    with tqdm(total=args.epochs, initial=done, unit='epoch', disable=start_epoch > args.epochs) as bar:
        for epoch in range(start_epoch, args.epochs + 1):
            # Each epoch's random draws depend on (seed, epoch) only, so a resumed run repeats an
            # uninterrupted one; the large prime keeps the streams of different seeds apart.
            d2lmini.set_seed((args.seed * 1_000_003 + epoch) % 2 ** 31)
            start = time.perf_counter()
            updater.start_epoch(epoch)
            norms = []
            train_ppl, speed = d2lmini.train_epoch_ch8(net, train_iter, loss, updater, device,
                                                       use_random_iter=False, theta=args.theta,
                                                       grad_norms=norms)
            norms = [n.item() for n in norms]
            val_ppl = d2lmini.evaluate_ppl(net, val_iter, device)
            improved = updater.end_epoch(val_ppl)  # a new lowest validation perplexity
            metrics = {'train_ppl': train_ppl, 'val_ppl': val_ppl, 'lr': updater.lr,
                       'clipped': sum(n > args.theta for n in norms) / len(norms),
                       'grad_norm': statistics.median(norms), 'tokens_per_sec': speed,
                       'seconds': time.perf_counter() - start}
            if args.track_test:  # reported only; nothing below reads it
                metrics['test_ppl'] = d2lmini.evaluate_ppl(net, test_iter, device)
            run['metrics'].append(metrics)
            if improved:
                run['best'] = {'epoch': epoch, 'val_ppl': val_ppl}
            if args.patience is not None and epoch - run['best']['epoch'] >= args.patience:
                run['stopped_early'] = True
            spent = sum(m['seconds'] for m in run['metrics'])
            if args.time_budget is not None and epoch < args.epochs and \
                    spent + metrics['seconds'] > 60 * args.time_budget:
                run['stopped_early'] = True
                run['time_budget_reached'] = True
            run.pop('test', None)
            save_run(out, run, net, updater.trainer, best=improved and args.keep_best)
            bar.set_postfix({'train ppl': f'{train_ppl:.2f}', 'val ppl': f'{val_ppl:.2f}',
                             'tokens/s': f'{speed:.0f}'})
            bar.update(1)
            if run.get('stopped_early'):
                break
    done = len(run['metrics'])
    tested = run['best']['epoch'] if args.keep_best else done
    if args.keep_best:
        net.load_parameters(str(out / 'best.params'), ctx=device)
    if run.get('test', {}).get('epoch') != tested:
        run['test'] = {'epoch': tested, 'ppl': d2lmini.evaluate_ppl(net, test_iter, device)}
        save_run(out, run)
    kept = f'epoch {tested} (lowest validation perplexity, kept)' if args.keep_best else \
        f'epoch {done} (lowest validation perplexity: epoch {run["best"]["epoch"]})'
    stopped = f', stopped early after {done} epochs' if run.get('stopped_early') else ''
    if run.get('time_budget_reached'):
        stopped += f' (time budget: {args.time_budget:g} min)'
    print(f'{kept}{stopped}: val perplexity {run["metrics"][tested - 1]["val_ppl"]:.2f}, '
          f'test perplexity {run["test"]["ppl"]:.2f} '
          f'({math.log(run["test"]["ppl"]):.4f} nats, {math.log2(run["test"]["ppl"]):.4f} bits '
          'per token)')
    print(d2lmini.predict_ch8(prefix, 100, net, vocab, device))
    return 0


def cores():
    """The number of CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


def threads_note():
    return f'OMP_NUM_THREADS={os.environ.get("OMP_NUM_THREADS", "unset (MXNet chooses)")}'


def use_cores(argv):
    """Restart this command with OMP_NUM_THREADS set (--threads, or every core) unless it is set."""
    if 'OMP_NUM_THREADS' in os.environ or any(a in ('-h', '--help') for a in argv):
        return
    threads = cores()
    for i, arg in enumerate(argv):
        if arg == '--threads' and i + 1 < len(argv) and argv[i + 1].isdigit():
            threads = int(argv[i + 1])
        elif arg.startswith('--threads=') and arg.split('=', 1)[1].isdigit():
            threads = int(arg.split('=', 1)[1])
    os.environ['OMP_NUM_THREADS'] = str(threads)
    os.execv(sys.executable, [sys.executable, '-m', 'd2lmini.train'] + list(argv))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage error argparse has already printed
        return exit_.code
    out = pathlib.Path(args.out)
    try:
        return train(args, out)
    except RunError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        try:
            run = read_run(out)
        except RunError:
            run = None
        saved = f'epoch {len(run["metrics"])} is saved in {out}' if run else 'no epoch was finished'
        print(f'\nInterrupted: {saved}. Resume with the same command: '
              f'python -m d2lmini.train {shlex.join(argv)}', file=sys.stderr)
        return 130


if __name__ == '__main__':
    use_cores(sys.argv[1:])
    sys.exit(main())
