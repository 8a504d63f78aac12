"""python -m d2lmini.train: checkpoints after every epoch, resuming, Ctrl-C, load_run, clear errors.

A small toy corpus (registered for this module only) keeps every epoch to about a second; one 2-epoch
run, trained once, is copied into the tests that only need a finished run.
"""
import contextlib
import csv
import hashlib
import json
import io
import random
import shutil
import subprocess
import sys

import pytest
from mxnet import npx

import d2lmini
import d2lmini.train as cli

SENTENCES = ['the time traveller smiled', 'we sat in the garden', 'a machine moves in time',
             'the lamp was lit', 'he spoke of the future']
OPTIONS = ['--corpus', 'toy', '--model', 'gru', '--hiddens', '16', '--batch-size', '4',
           '--num-steps', '10', '--lr', '2', '--prefix', 'the time']
FILES = ('model.params', 'trainer.states', 'run.json', 'metrics.csv')


@pytest.fixture(scope='module')
def toy_corpus(tmp_path_factory):
    """Register a ~2,200-character corpus 'toy' (for this module only); yield its directory."""
    data = tmp_path_factory.mktemp('toy-data')
    rng = random.Random(0)
    text = '. '.join(rng.choice(SENTENCES) for _ in range(100)) + '.\n'
    (data / 'toy.txt').write_text(text, encoding='utf-8')
    sha1 = hashlib.sha1(text.encode('utf-8')).hexdigest()
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(d2lmini.corpora.CORPORA, 'toy',
                   d2lmini.corpora.Corpus('toy', 'toy.txt', 'http://127.0.0.1:9/toy.txt', sha1))
        mp.setenv('D2LMINI_DATA', str(data))
        mp.setenv('D2LMINI_CACHE', str(data / 'cache'))  # never download or write elsewhere
        yield data


@pytest.fixture(scope='module')
def two_epochs(toy_corpus):
    """A finished 2-epoch run, trained once for the module, and what it printed: (out_dir, stdout)."""
    out, printed = toy_corpus / 'two-epochs', io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(io.StringIO()):
        assert train(out, 2) == 0
    return out, printed.getvalue()


@pytest.fixture
def toy(toy_corpus, tmp_path):
    """An empty run directory in tmp_path."""
    return tmp_path / 'run'


@pytest.fixture
def done2(two_epochs, toy):
    """A copy of the finished 2-epoch run in this test's own directory."""
    shutil.copytree(two_epochs[0], toy)
    return toy


def train(out, epochs, *extra):
    return cli.main([*OPTIONS, '--epochs', str(epochs), '--out', str(out), *extra])


def rows(out):
    with open(out / 'metrics.csv', newline='') as f:
        return list(csv.DictReader(f))


def saved(out):
    return json.loads((out / 'run.json').read_text())


def snapshot(out):
    return {name: (out / name).read_bytes() for name in FILES}


def count_epochs(monkeypatch, interrupt_at=None):
    """Wrap d2lmini.train_epoch_ch8 to count its calls (and raise Ctrl-C at call ``interrupt_at``)."""
    calls, real = [], d2lmini.train_epoch_ch8

    def fake(*args, **kwargs):
        calls.append(1)
        if len(calls) == interrupt_at:
            raise KeyboardInterrupt
        return real(*args, **kwargs)
    monkeypatch.setattr(d2lmini, 'train_epoch_ch8', fake)
    return calls


def val_iter_and_vocab():
    _, val_iter, _, vocab = d2lmini.load_data_corpus('toy', 4, 10)
    return val_iter, vocab


def test_fresh_run_writes_checkpoints_and_one_metrics_row_per_epoch(two_epochs):
    out, printed = two_epochs
    assert f'Starting a fresh run in {out}' in printed
    assert all((out / name).stat().st_size > 0 for name in FILES)
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)  # no temporary files left over
    assert [int(r['epoch']) for r in rows(out)] == [1, 2]
    run = saved(out)
    assert run['config']['hiddens'] == 16 and run['config']['corpus'] == 'toy'
    assert run['idx_to_token'] == val_iter_and_vocab()[1].idx_to_token
    assert len(run['metrics']) == 2 and run['test']['epoch'] == 2
    assert float(rows(out)[-1]['val_ppl']) == pytest.approx(run['metrics'][-1]['val_ppl'], abs=1e-4)
    assert f"test perplexity {run['test']['ppl']:.2f}" in printed
    sample = [line for line in printed.splitlines() if line.startswith('the time')]
    assert len(sample) == 1 and len(sample[0]) == len('the time') + 100


def test_resume_continues_from_the_saved_epoch_and_repeats_an_uninterrupted_run(done2, monkeypatch, capsys):
    calls = count_epochs(monkeypatch)
    d2lmini.set_seed(12345)  # as in a new process: the random generators are not where epoch 2 left them
    assert train(done2, 3) == 0
    assert len(calls) == 1  # epoch 3 only
    assert f'Resuming {done2} from epoch 3' in capsys.readouterr().out
    assert [int(r['epoch']) for r in rows(done2)] == [1, 2, 3]
    resumed = saved(done2)['metrics']
    # The epoch-2 parameters were loaded: epoch 3 starts far better than epoch 1 did
    assert resumed[2]['train_ppl'] < 0.6 * resumed[0]['train_ppl']
    # Per-epoch seeding + saved params and trainer states: 2 + 1 epochs equal 3 in one go
    assert train(done2.parent / 'straight', 3) == 0
    straight = saved(done2.parent / 'straight')['metrics']
    for key in ('train_ppl', 'val_ppl'):
        assert [m[key] for m in resumed] == pytest.approx([m[key] for m in straight], rel=1e-6)


def test_a_finished_run_exits_0_without_training(done2, monkeypatch, capsys):
    before = snapshot(done2)
    calls = count_epochs(monkeypatch)
    for epochs in (2, 1):
        assert train(done2, epochs) == 0
        assert 'All 2 epochs are already done' in capsys.readouterr().out
    assert calls == [] and snapshot(done2) == before


def test_other_options_in_the_same_out_directory_are_a_clear_error(done2, capsys):
    before = snapshot(done2)
    assert train(done2, 3, '--hiddens', '32', '--full-text') == 2
    err = capsys.readouterr().err
    assert '--hiddens: saved 16, now 32' in err and '--full-text: saved False, now True' in err
    assert 'another --out' in err and 'Traceback' not in err
    assert snapshot(done2) == before


def test_ctrl_c_in_epoch_3_keeps_epoch_2_and_the_same_command_resumes(toy, monkeypatch, capsys):
    calls = count_epochs(monkeypatch, interrupt_at=3)
    assert train(toy, 3) == 130
    err = capsys.readouterr().err
    assert f'epoch 2 is saved in {toy}' in err and 'Resume with the same command' in err
    assert '--epochs 3' in err
    assert [int(r['epoch']) for r in rows(toy)] == [1, 2]
    assert sorted(p.name for p in toy.iterdir()) == sorted(FILES)
    assert len(saved(toy)['metrics']) == 2 and 'test' not in saved(toy)
    net, vocab, _ = cli.load_run(toy, npx.cpu())
    assert d2lmini.evaluate_ppl(net, val_iter_and_vocab()[0], npx.cpu()) == pytest.approx(
        saved(toy)['metrics'][1]['val_ppl'], rel=1e-6)
    assert train(toy, 3) == 0
    assert len(calls) == 3 + 1  # the rerun trained epoch 3 only
    assert [int(r['epoch']) for r in rows(toy)] == [1, 2, 3]
    assert saved(toy)['test']['epoch'] == 3


def test_load_run_gives_back_the_model_of_the_last_epoch(two_epochs, tmp_path):
    out = two_epochs[0]
    net, vocab, config = cli.load_run(out, npx.cpu())
    val_iter, data_vocab = val_iter_and_vocab()
    assert isinstance(vocab, d2lmini.Vocab) and vocab.idx_to_token == data_vocab.idx_to_token
    assert vocab['t'] == data_vocab['t'] and vocab['#'] == 0
    assert config['model'] == 'gru' and config['hiddens'] == 16
    assert d2lmini.evaluate_ppl(net, val_iter, npx.cpu()) == pytest.approx(
        saved(out)['metrics'][-1]['val_ppl'], rel=1e-6)
    with pytest.raises(FileNotFoundError, match='no run.json'):
        cli.load_run(tmp_path / 'nothing-here')


def test_a_metrics_csv_left_behind_by_a_crash_is_rebuilt_from_run_json(done2):
    lines = (done2 / 'metrics.csv').read_text().splitlines()
    (done2 / 'metrics.csv').write_text('\n'.join(lines[:-1]) + '\n')  # as if killed before the CSV
    assert train(done2, 2) == 0
    assert [int(r['epoch']) for r in rows(done2)] == [1, 2]


def test_parameters_that_do_not_match_run_json_are_refused(done2, capsys):
    (done2 / 'model.params').write_bytes(b'not the saved parameters')
    assert train(done2, 3) == 2
    assert 'model.params does not match run.json' in capsys.readouterr().err
    with pytest.raises(cli.RunError, match='does not match'):
        cli.load_run(done2)
    (done2 / 'run.json').write_text('{"config": ')  # not JSON
    assert train(done2, 3) == 2
    assert 'is not a run.json written by d2lmini.train' in capsys.readouterr().err


@pytest.mark.parametrize('extra, message', [
    (['--prefix', 'The Time!'], "not in the vocabulary: ['!', 'T']"),
    (['--batch-size', '400'], 'cannot fill one minibatch'),
    (['--device', 'gpu'], 'MXNet sees no GPU'),
])
def test_bad_input_is_a_one_line_error(toy, capsys, extra, message):
    if extra[0] == '--device' and npx.num_gpus() > 0:
        pytest.skip('this machine has a GPU')
    assert train(toy, 1, *extra) == 2
    err = capsys.readouterr().err
    assert message in err and 'Traceback' not in err
    assert not toy.exists()  # nothing was created


def test_usage_errors_and_help(toy, capsys):
    assert train(toy, 0) == 2
    assert 'must be positive' in capsys.readouterr().err
    assert cli.main(['--epochs', '1', '--out', str(toy), '--corpus', 'nope']) == 2
    assert "invalid choice: 'nope'" in capsys.readouterr().err
    done = subprocess.run([sys.executable, '-m', 'd2lmini.train', '--help'], cwd=toy.parent,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert 'usage: python -m d2lmini.train' in done.stdout and '--out' in done.stdout


# ---- chapter 13's options: optimizer, schedule, dropout, keep-best, early stopping ----

ADAM = ['--optimizer', 'adam', '--lr', '0.05', '--embed-size', '8', '--dropout', '0.1']


def test_keep_best_and_patience_report_the_best_epochs_test_perplexity(toy, capsys):
    assert train(toy, 12, *ADAM, '--keep-best', '--patience', '2') == 0
    printed, run = capsys.readouterr().out, saved(toy)
    val = [m['val_ppl'] for m in run['metrics']]
    best = val.index(min(val)) + 1
    assert run['best'] == {'epoch': best, 'val_ppl': min(val)}
    assert run['test']['epoch'] == best  # the test perplexity is the kept epoch's
    assert sorted(run['sha1']) == ['best.params', 'model.params', 'trainer.states']
    if len(val) < 12:  # stopped early: exactly patience epochs after the best
        assert run['stopped_early'] and len(val) == best + 2
        assert f'stopped early after {len(val)} epochs' in printed
    assert f'epoch {best} (lowest validation perplexity, kept)' in printed
    net, _, _ = cli.load_run(toy)  # best.params by default for a --keep-best run
    _, _, test_iter, _ = d2lmini.load_data_corpus('toy', 4, 10)
    assert d2lmini.evaluate_ppl(net, test_iter, npx.cpu()) == pytest.approx(run['test']['ppl'])
    last, _, _ = cli.load_run(toy, best=False)
    _, val_iter, _, _ = d2lmini.load_data_corpus('toy', 4, 10)
    assert d2lmini.evaluate_ppl(last, val_iter, npx.cpu()) == pytest.approx(val[-1], rel=1e-5)
    header = rows(toy)[0].keys()
    assert {'lr', 'clipped', 'grad_norm'} <= set(header)


def test_a_plateau_run_resumed_repeats_an_uninterrupted_one(toy, monkeypatch, capsys):
    options = [*ADAM, '--schedule', 'plateau', '--lr-patience', '1']
    assert train(toy, 2, *options) == 0
    d2lmini.set_seed(999)
    assert train(toy, 6, *options) == 0
    assert train(toy.parent / 'straight', 6, *options) == 0
    resumed, straight = saved(toy)['metrics'], saved(toy.parent / 'straight')['metrics']
    for key in ('train_ppl', 'val_ppl', 'lr'):
        assert [m[key] for m in resumed] == pytest.approx([m[key] for m in straight], rel=1e-6)
    assert [float(r['lr']) for r in rows(toy)] == pytest.approx([m['lr'] for m in straight],
                                                                rel=1e-5)


def test_clipping_is_recorded(toy):
    assert train(toy, 1, '--theta', '1e-9') == 0
    assert saved(toy)['metrics'][0]['clipped'] == 1.0


@pytest.mark.parametrize('extra, message', [
    (['--dropout', '1'], 'must be in [0, 1)'),
    (['--optimizer', 'rmsprop'], "invalid choice: 'rmsprop'"),
    (['--schedule', 'linear'], "invalid choice: 'linear'"),
    (['--patience', '0'], 'must be positive'),
    (['--embed-size', '-1'], '--embed-size must be 0 (one-hot inputs) or positive'),
    (['--weight-decay', '-1'], 'weight_decay must be a number >= 0'),
    (['--optimizer', 'adam', '--lr-factor', '0'], 'factor'),
])
def test_bad_training_options_are_one_line_errors(toy, capsys, extra, message):
    assert train(toy, 1, *extra) == 2
    err = capsys.readouterr().err
    assert message in err and 'Traceback' not in err


def test_the_trainer_restarts_itself_with_its_cores(monkeypatch):
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    calls = []
    monkeypatch.setattr(cli.os, 'execv', lambda exe, args: calls.append((exe, args)))
    cli.use_cores(['--epochs', '1', '--threads', '3'])
    assert calls == [(sys.executable, [sys.executable, '-m', 'd2lmini.train', '--epochs', '1',
                                       '--threads', '3'])]
    assert cli.os.environ['OMP_NUM_THREADS'] == '3'
    calls.clear()
    cli.use_cores(['--epochs', '1'])  # OMP_NUM_THREADS is set now: no restart
    assert calls == []
    monkeypatch.delenv('OMP_NUM_THREADS')
    cli.use_cores(['--epochs', '1'])
    assert cli.os.environ['OMP_NUM_THREADS'] == str(cli.cores())


def test_time_budget_stops_before_an_epoch_that_would_end_past_it(toy, monkeypatch, capsys):
    clock = iter(range(0, 10_000, 30))  # every perf_counter() call: 30 s later
    monkeypatch.setattr(cli.time, 'perf_counter', lambda: next(clock))
    assert train(toy, 20, '--time-budget', '1.5') == 0  # epochs of 30 s: 3 fit in 90 s, not 4
    run = saved(toy)
    assert len(run['metrics']) == 3 and run['time_budget_reached']
    assert '(time budget: 1.5 min)' in capsys.readouterr().out
    assert train(toy, 20, '--time-budget', '1.5') == 0
    assert 'stopped early after 3 epochs (the time budget)' in capsys.readouterr().out


def test_track_test_records_the_test_perplexity_and_changes_nothing_else(toy, two_epochs):
    assert train(toy, 2, '--track-test') == 0
    tracked, plain = saved(toy)['metrics'], saved(two_epochs[0])['metrics']
    assert [m['val_ppl'] for m in tracked] == pytest.approx([m['val_ppl'] for m in plain])
    _, _, test_iter, _ = d2lmini.load_data_corpus('toy', 4, 10)
    net, _, _ = cli.load_run(toy)
    assert tracked[-1]['test_ppl'] == pytest.approx(d2lmini.evaluate_ppl(net, test_iter, npx.cpu()))
    assert float(rows(toy)[-1]['test_ppl']) == pytest.approx(tracked[-1]['test_ppl'], rel=1e-5)
