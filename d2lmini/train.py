"""Train a character-level language model from the command line, with checkpoints and resuming.

Meant for long runs (a GPU box, or overnight on a CPU). Examples::

    python -m d2lmini.train --corpus time_machine --model gru --epochs 50 --out runs/tm-gru
    python -m d2lmini.train --corpus tiny_shakespeare --full-text --model lstm --layers 2 \\
        --hiddens 512 --epochs 30 --device gpu --out runs/shakespeare-lstm

After every epoch the run directory holds ``model.params``, ``trainer.states``, ``run.json``
(options, vocabulary, metrics) and ``metrics.csv``, each replaced atomically. Rerunning the same
command resumes after the last finished epoch (Ctrl-C is safe); a larger ``--epochs`` trains on.
Each epoch reseeds from (--seed, epoch), so a resumed run repeats an uninterrupted one.
In a notebook, ``net, vocab, config = d2lmini.train.load_run('runs/tm-gru')`` gives the model back.
"""
import argparse
import contextlib
import csv
import io
import json
import os
import pathlib
import shlex
import signal
import sys
import threading
import time

from mxnet import gluon, init, npx
from mxnet.gluon import rnn

import d2lmini
from d2lmini.corpora import sha1sum
from tqdm import tqdm

DEFAULT_PREFIX = {'time_machine': 'time traveller', 'tiny_shakespeare': 'but brutus is an honorable man'}
LAYERS = {'rnn': lambda h, n: rnn.RNN(h, activation='tanh', num_layers=n),
          'gru': lambda h, n: rnn.GRU(h, num_layers=n), 'lstm': lambda h, n: rnn.LSTM(h, num_layers=n)}
# The options that define the model, the data and the optimization; a resumed run must repeat them
CONFIG_KEYS = ('corpus', 'full_text', 'model', 'hiddens', 'layers', 'batch_size', 'num_steps',
               'lr', 'theta', 'seed')


class RunError(Exception):
    """A problem the user can fix; printed as one line, without a traceback."""


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
    p.add_argument('--model', choices=sorted(LAYERS), default='gru')
    p.add_argument('--hiddens', type=positive(int), default=256)
    p.add_argument('--layers', type=positive(int), default=1)
    p.add_argument('--batch-size', type=positive(int), default=32)
    p.add_argument('--num-steps', type=positive(int), default=35)
    p.add_argument('--epochs', type=positive(int), required=True, help='total number of epochs')
    p.add_argument('--lr', type=positive(float), default=1.0)
    p.add_argument('--theta', type=positive(float), default=1.0, help='gradient clipping norm')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--device', choices=['auto', 'cpu', 'gpu'], default='auto', help='auto: a GPU if any')
    p.add_argument('--prefix', help="start of the final sample (default: 'time traveller' or "
                                    "'but brutus is an honorable man', by corpus)")
    p.add_argument('--out', required=True, help='run directory (created, or resumed if it holds run.json)')
    return p.parse_args(argv)


def build_net(config, vocab_size):
    layer = LAYERS[config['model']](config['hiddens'], config['layers'])
    return d2lmini.RNNModel(layer, vocab_size)


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


def load_run(out_dir, device=None):
    """(net, vocab, config) of a saved run: the model with the parameters of its last finished epoch."""
    run = read_run(out_dir)
    if run is None:
        raise FileNotFoundError(f'{out_dir} holds no run.json: not a run directory of d2lmini.train')
    vocab = rebuild_vocab(run['idx_to_token'])
    net = build_net(run['config'], len(vocab))
    net.load_parameters(str(pathlib.Path(out_dir) / 'model.params'), ctx=device or d2lmini.try_gpu())
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


def save_run(out, run, net=None, trainer=None):
    """Write the parameters, the trainer states, run.json (the commit) and metrics.csv."""
    with sigint_deferred():
        if net is not None:
            atomic_write(out / 'model.params', net.save_parameters)
            atomic_write(out / 'trainer.states', trainer.save_states)
            run['sha1'] = {name: sha1sum(out / name) for name in ('model.params', 'trainer.states')}
        write_text(out / 'run.json', json.dumps(run, indent=1))
        rows = io.StringIO()
        writer = csv.writer(rows, lineterminator='\n')
        writer.writerow(['epoch', 'train_ppl', 'val_ppl', 'tokens_per_sec', 'seconds'])
        for i, m in enumerate(run['metrics'], 1):
            writer.writerow([i, f"{m['train_ppl']:.4f}", f"{m['val_ppl']:.4f}",
                             f"{m['tokens_per_sec']:.0f}", f"{m['seconds']:.2f}"])
        write_text(out / 'metrics.csv', rows.getvalue())


def get_device(choice):
    if choice == 'gpu':
        if npx.num_gpus() == 0:
            raise RunError('--device gpu: MXNet sees no GPU (is a CUDA build of mxnet installed?); '
                           'use --device cpu or auto')
        return npx.gpu(0)
    return npx.cpu() if choice == 'cpu' else d2lmini.try_gpu()


def train(args, out):
    config = {key: getattr(args, key) for key in CONFIG_KEYS}
    run = read_run(out)
    if run is not None:
        diff = [f'--{k.replace("_", "-")}: saved {run["config"].get(k)!r}, now {config[k]!r}'
                for k in CONFIG_KEYS if run['config'].get(k) != config[k]]
        if diff:
            raise RunError(f'{out} holds a run with other options ({"; ".join(diff)}). '
                           'Repeat the saved options to resume it, or use another --out.')
    device = get_device(args.device)
    try:
        train_iter, val_iter, test_iter, vocab = d2lmini.load_data_corpus(
            args.corpus, args.batch_size, args.num_steps, letters_only=not args.full_text)
    except (ValueError, OSError) as err:
        raise RunError(f'cannot load corpus {args.corpus!r}: {err}') from None
    prefix = DEFAULT_PREFIX.get(args.corpus, vocab.idx_to_token[1]) if args.prefix is None else args.prefix
    unknown = sorted(set(prefix) - set(vocab.idx_to_token[1:]))
    if unknown or not prefix:
        raise RunError(f'--prefix {prefix!r} is empty or has characters not in the vocabulary: {unknown}')
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise RunError(f'cannot use --out {out}: {err}') from None
    net = build_net(config, len(vocab))
    if run is None:
        run = {'config': config, 'idx_to_token': vocab.idx_to_token, 'metrics': []}
        d2lmini.set_seed(args.seed)
        net.initialize(ctx=device, init=init.Normal(0.01))
        print(f'Starting a fresh run in {out}: {args.model}, {args.layers} x {args.hiddens} hiddens, '
              f'{args.corpus}, {args.epochs} epochs on {device}.')
    else:
        if run['idx_to_token'] != vocab.idx_to_token:
            raise RunError(f'the vocabulary of {args.corpus!r} differs from the one in {out}/run.json')
        net.load_parameters(str(out / 'model.params'), ctx=device)
        save_run(out, run)  # repairs metrics.csv if a crash left it behind run.json
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': args.lr})
    if run['metrics']:
        trainer.load_states(str(out / 'trainer.states'))
    done = len(run['metrics'])
    if done >= args.epochs:
        print(f'All {done} epochs are already done in {out} (--epochs {args.epochs}); nothing to train.')
    elif done:
        print(f'Resuming {out} from epoch {done + 1} of {args.epochs} ({done} done).')
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    with tqdm(total=args.epochs, initial=done, unit='epoch', disable=done >= args.epochs) as bar:
        for epoch in range(done + 1, args.epochs + 1):
            d2lmini.set_seed((args.seed * 1_000_003 + epoch) % 2 ** 31)
            start = time.perf_counter()
            train_ppl, speed = d2lmini.train_epoch_ch8(net, train_iter, loss, trainer.step, device,
                                                       use_random_iter=False, theta=args.theta)
            val_ppl = d2lmini.evaluate_ppl(net, val_iter, device)
            run['metrics'].append({'train_ppl': train_ppl, 'val_ppl': val_ppl, 'tokens_per_sec': speed,
                                   'seconds': time.perf_counter() - start})
            run.pop('test', None)
            save_run(out, run, net, trainer)
            bar.set_postfix({'train ppl': f'{train_ppl:.2f}', 'val ppl': f'{val_ppl:.2f}',
                             'tokens/s': f'{speed:.0f}'})
            bar.update(1)
    done = len(run['metrics'])
    if run.get('test', {}).get('epoch') != done:
        run['test'] = {'epoch': done, 'ppl': d2lmini.evaluate_ppl(net, test_iter, device)}
        save_run(out, run)
    print(f'epoch {done}: val perplexity {run["metrics"][-1]["val_ppl"]:.2f}, '
          f'test perplexity {run["test"]["ppl"]:.2f}')
    print(d2lmini.predict_ch8(prefix, 100, net, vocab, device))
    return 0


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
    sys.exit(main())
