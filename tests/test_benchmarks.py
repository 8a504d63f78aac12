"""benchmarks/: FLOP counts, tables and files, and tiny real runs of each measuring path."""
import csv
import json
import math

import pytest

import d2lmini
from benchmarks import __main__ as cli
from benchmarks import flops, kinds, quality, report, specs, throughput, worker


def test_flops_match_a_hand_count():
    # vocabulary 28, 256 hidden: input 28*256 = 7168, recurrence 256*256 = 65536, output 256*28 = 7168
    assert flops.forward_macs_per_token('rnn', 28, 256) == 7168 + 65536 + 7168
    assert flops.forward_macs_per_token('gru', 28, 256) == 3 * (7168 + 65536) + 7168
    assert flops.forward_macs_per_token('lstm', 28, 256) == 4 * (7168 + 65536) + 7168
    assert flops.train_flops_per_token('gru', 28, 256) == 6 * 225280


def test_every_model_builds_and_has_a_flop_count(device):
    for name, spec in specs.MODELS.items():
        net = specs.build(name, 10, 8, device)
        assert isinstance(net, d2lmini.RNNModelScratch) == spec.scratch
        assert flops.train_flops_per_token(spec.cell, 10, 8) > 0


def summary(speed):
    return {'tokens_per_sec': speed, 'cpu_tokens_per_sec': speed * 0.9, 'timed_epochs': 2, 'spread': 0.1,
            'epoch_tokens_per_sec': [speed] * 3}


def fake_results():
    rows = []
    for model, speeds in {'gru': {'train_ch8': 900, 'd2l': 600}, 'lstm': {'train_ch8': 800}}.items():
        for path, speed in speeds.items():
            rows.append(dict(summary(speed), model=model, kind=path, plot=True, peak_rss_mb=300.0,
                             rss_increase_mb=50.0))
    # both paths in one process: the ratio comes from there, not from the train_ch8 row above
    paired = [{'model': 'gru', 'kind': 'paired', 'ratio': 0.95, 'cpu_ratio': 0.93, 'rounds_ratio': [0.97, 0.95, 0.9],
               'train_ch8': summary(950), 'bare': summary(1000), 'peak_rss_mb': 320.0, 'rss_increase_mb': 70.0,
               'bare_rss_increase_mb': 40.0},
              {'model': 'lstm', 'kind': 'paired', 'ratio': 0.85, 'cpu_ratio': 0.86,
               'train_ch8': summary(850), 'bare': summary(1000), 'peak_rss_mb': 320.0, 'rss_increase_mb': 70.0,
               'bare_rss_increase_mb': 40.0}]
    return {'throughput': rows, 'paired': paired,
            'matmul': {'matmul_gflops': 100.0, 'small_matmul_gflops': 10.0},
            'labels': {m: specs.MODELS[m].label for m in specs.MODELS},
            'scratch': {m: specs.MODELS[m].scratch for m in specs.MODELS},
            'flops_per_token': {m: 1e6 for m in specs.MODELS}}


def test_tables_ratios_and_targets():
    results = fake_results()
    header, rows = report.throughput_table(results, ['gru', 'lstm'])
    gru = dict(zip(header, rows[0]))
    assert gru['d2lmini.train_ch8 (tokens/s)'] == '900'
    assert gru['train_ch8 / d2l'] == '1.50×' and dict(zip(header, rows[1]))['train_ch8 / d2l'] == '—'
    header, rows = report.paired_table(results, ['gru', 'lstm'])
    gru = dict(zip(header, rows[0]))
    assert gru['train_ch8 / bare (median)'] == '95%' and gru['bare Gluon loop (tokens/s)'] == '1,000'
    assert gru['train_ch8 / bare, each process'] == '97%, 95%, 90%' and gru['the same in CPU time'] == '93%'
    met = {t['target']: t['met'] for t in report.targets(results, ['gru', 'lstm'])}
    assert met == {'rnn.GRU: train_ch8 ≥ 90% of the bare loop (same process)': True,
                   'rnn.GRU: train_ch8 at least as fast as d2l 1.0.3, as shipped': True,
                   'rnn.LSTM: train_ch8 ≥ 90% of the bare loop (same process)': False}
    header, rows = report.resources_table(results, ['gru'])
    row = dict(zip(header, rows[0]))  # 900 tokens/s x 1 MFLOP = 0.9 GFLOP/s = 0.9% of 100
    assert row['train_ch8 GFLOP/s'] == '0.90' and row['of the large-matmul peak'] == '0.9%'
    assert row['training, bare loop (MB)'] == '40'


def test_markdown_and_csv_writers(tmp_path):
    md = report.markdown_table(['a', 'b'], [[1, 'x'], [2, 'y']])
    assert md.splitlines() == ['| a | b |', '| --- | --- |', '| 1 | x |', '| 2 | y |']
    report.write_csv(tmp_path / 't.csv', *report.csv_rows(fake_results()))
    with open(tmp_path / 't.csv', newline='') as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 + 2 * 2 and rows[0]['model'] == 'gru' and rows[0]['path'] == 'train_ch8'
    assert float(rows[0]['gflops']) == pytest.approx(0.9)
    bare = next(r for r in rows if r['model'] == 'gru' and r['path'] == 'paired:bare')
    assert bare['tokens_per_sec'] == '1000.0' and bare['train_ch8_over_bare_by_process'] == '0.970 0.950 0.900'
    assert bare['rss_increase_mb'] == '40.0' and bare['peak_rss_mb'] == ''


def tiny_data():
    text = 'the time machine moves through time and the traveller watches ' * 5
    vocab = d2lmini.Vocab(list(text))
    return d2lmini.SeqDataLoader(vocab[list(text)], 4, 10), vocab


@pytest.mark.parametrize('model', ['scratch-rnn', 'gru'])
def test_tiny_throughput_runs(model, device):
    train_iter, vocab = tiny_data()
    result = throughput.run_train_ch8(model, train_iter, vocab, device, epochs=1, warmup=1, num_hiddens=8)
    assert result['tokens_per_sec'] > 0 and result['cpu_tokens_per_sec'] > 0 and result['timed_epochs'] == 1
    assert len(result['epoch_tokens_per_sec']) == 2


@pytest.mark.parametrize('model', ['scratch-rnn', 'gru'])
def test_tiny_paired_run_measures_both_paths(model, device):
    train_iter, vocab = tiny_data()
    result = throughput.run_paired(model, train_iter, vocab, device, epochs=2, warmup=1, num_hiddens=8)
    for path in ('train_ch8', 'bare'):
        assert len(result[path]['epoch_tokens_per_sec']) == 3 and result[path]['tokens_per_sec'] > 0
    assert len(result['epoch_ratios']) == 2 and result['ratio'] > 0


def test_paired_run_alternates_the_paths_and_reads_the_bare_loop_memory_first(monkeypatch, device):
    """bare, ch8 | ch8, bare | bare, ch8 | ...; the bare loop's memory is read after its first epoch,
    before train_ch8 builds its model; the ratio is the median over the timed rounds."""
    events, ch8_speeds, bare_speeds = [], iter([100, 90, 60, 120]), iter([100, 100, 100, 100])

    def rss():
        events.append('rss')
        return 100.0 + 10 * len(events)

    def ch8_epoch(net, train_iter, vocab, device, num_epochs):
        events.append('ch8')
        speed = next(ch8_speeds)
        return [speed], [speed / 2]

    def bare_epoch(net, train_iter, params, step, device):
        events.append('bare')
        speed = next(bare_speeds)
        return speed, speed / 2

    monkeypatch.setattr(throughput, 'peak_rss_mb', rss)
    monkeypatch.setattr(throughput, 'timed_train_ch8', ch8_epoch)
    monkeypatch.setattr(throughput, 'timed_bare_epoch', bare_epoch)
    train_iter, vocab = tiny_data()
    result = throughput.run_paired('gru', train_iter, vocab, device, epochs=3, warmup=1, num_hiddens=8)
    assert events == ['rss', 'bare', 'rss', 'ch8', 'ch8', 'bare', 'bare', 'ch8', 'ch8', 'bare']
    assert result['bare_rss_increase_mb'] == 20  # 130 after the first bare epoch, 110 before it
    assert result['epoch_ratios'] == pytest.approx([0.9, 0.6, 1.2]) and result['ratio'] == pytest.approx(0.9)
    assert result['train_ch8']['epoch_tokens_per_sec'] == [100, 90, 60, 120]


def test_tiny_quality_run_stops_on_time(device):
    train_iter, vocab = tiny_data()
    held_out = d2lmini.SeqDataLoader(train_iter.corpus, 4, 10, offset=0)  # fixed order, as the real split's
    result = quality.train_for('gru', 0.5, (train_iter, held_out, held_out, vocab), device, checkpoints=2,
                               num_hiddens=8)
    assert 0.4 < result['trained_seconds'] < 5 and result['tokens'] > 0
    assert len(result['curve']) == 2 and 1 < result['val_ppl'] < 2 * len(vocab)
    assert result['best_val_ppl'] == min(c[3] for c in result['curve'])
    # validation and test are the same text here, so the test perplexity at the best point equals it
    assert result['test_ppl_at_best'] == pytest.approx(result['best_val_ppl'])
    assert result['val_loss'] == pytest.approx(math.log(result['val_ppl']))


def test_options():
    args = cli.parse_args(['--quick', '--models', 'gru'])
    assert args.max_batches == 12 and args.epochs == 2 and args.models == ['gru']
    assert args.out.name == 'quick'
    assert args.rounds == 1 and cli.parse_args([]).rounds == 3
    assert cli.parse_args(['--long']).only == 'quality'
    for bad in (['--models', 'transformer'], ['--rounds', '0']):
        with pytest.raises(SystemExit):
            cli.parse_args(bad)


def test_rounds_keep_the_median_process():
    def run(speed, cpu, rss):
        return {'model': 'gru', 'kind': 'bare', 'tokens_per_sec': speed, 'cpu_tokens_per_sec': cpu,
                'epoch_tokens_per_sec': [speed] * 3, 'peak_rss_mb': rss, 'rss_increase_mb': rss - 200}
    # one process far faster than the others (as a shared machine produces) does not set the result
    combined = throughput.combine_rounds([run(50_000, 45_000, 300), run(77_000, 70_000, 310),
                                          run(52_000, 48_000, 305)])
    assert combined['tokens_per_sec'] == 52_000 and combined['epoch_tokens_per_sec'] == [52_000] * 3
    assert combined['cpu_tokens_per_sec'] == 48_000 and combined['peak_rss_mb'] == 310
    assert combined['rounds_tokens_per_sec'] == [50_000, 77_000, 52_000]
    # two rounds: the slower of the two processes, never an average that no process measured
    assert throughput.combine_rounds([run(60_000, 1, 300), run(50_000, 1, 300)])['tokens_per_sec'] == 50_000
    with pytest.raises(ValueError):
        throughput.combine_rounds([])


def test_paired_rounds_keep_the_process_with_the_median_ratio():
    def run(ratio, cpu_ratio, bare_rss):
        return {'model': 'gru', 'kind': 'paired', 'ratio': ratio, 'cpu_ratio': cpu_ratio, 'train_ch8': ratio,
                'peak_rss_mb': 300, 'rss_increase_mb': 80, 'bare_rss_increase_mb': bare_rss}
    combined = throughput.combine_rounds([run(1.01, 1.0, 70), run(0.93, 0.95, 72), run(1.20, 1.1, 71)],
                                         'ratio', 'cpu_ratio')
    assert combined['ratio'] == 1.01 and combined['train_ch8'] == 1.01  # that process's own results
    assert combined['rounds_ratio'] == [1.01, 0.93, 1.20] and combined['cpu_ratio'] == 1.0
    assert combined['bare_rss_increase_mb'] == 72


def test_worker_reads_the_memory_baseline_before_the_measurement(monkeypatch):
    events, readings = [], iter([200.0, 260.0])

    def rss():
        events.append('rss')
        return next(readings)

    def measure(task, device):
        events.append('run')
        return {'value': task['n']}
    monkeypatch.setattr(worker, 'peak_rss_mb', rss)
    monkeypatch.setitem(kinds.KINDS, 'fake', kinds.Kind(measure, str, 'matmul'))
    result = worker.run({'kind': 'fake', 'n': 3, 'device': 'cpu'})  # in-process: a subprocess costs ~5 s
    assert events == ['rss', 'run', 'rss']
    assert result['value'] == 3 and result['kind'] == 'fake' and result['seconds'] >= 0
    assert (result['rss_baseline_mb'], result['peak_rss_mb'], result['rss_increase_mb']) == (200, 260, 60)


def test_worker_runs_a_real_matmul():
    result = worker.run({'kind': 'matmul', 'n': 64, 'device': 'cpu'})
    assert result['matmul_gflops'] > 0 and result['small_matmul_gflops'] > 0


def test_the_plan_uses_only_listed_kinds_in_whole_rounds():
    tasks = cli.plan(cli.parse_args(['--rounds', '2', '--models', 'scratch-gru,gru', '--text', 'both']))
    assert {t['kind'] for t in tasks} == set(kinds.KINDS)
    timed = [(t['round'], t['model'], t['kind']) for t in tasks if 'round' in t]
    per_round = [('scratch-gru', 'train_ch8'), ('scratch-gru', 'paired'),  # d2l has no scratch GRU
                 ('gru', 'train_ch8'), ('gru', 'paired'), ('gru', 'd2l'), ('gru', 'd2l-noplot')]
    assert timed == [(r, m, k) for r in (1, 2) for m, k in per_round]
    assert [t['kind'] for t in tasks if 'round' not in t] == ['matmul', 'matmul'] + ['quality'] * 4


def test_peer_models_exist_only_where_d2l_has_them():
    from benchmarks import peer
    assert peer.build_peer('gru', 10, num_hiddens=8).rnn.num_hiddens == 8
    for model, spec in specs.MODELS.items():
        if not spec.peer:
            with pytest.raises(ValueError, match='d2l 1.0.3'):
                peer.build_peer(model, 10, num_hiddens=8)


def test_nanogpt_split_summary_reads_the_run(tmp_path):
    """The summary's numbers come from run.json: the kept epoch, nats, bits and the first pass."""
    from benchmarks import nanogpt_split
    metrics = [{'train_ppl': 6.0, 'val_ppl': 5.0, 'test_ppl': 4.5, 'lr': 2e-3, 'seconds': 60.0},
               {'train_ppl': 4.0, 'val_ppl': 4.2, 'test_ppl': 4.3, 'lr': 2e-3, 'seconds': 61.0},
               {'train_ppl': 3.5, 'val_ppl': 4.4, 'test_ppl': 4.4, 'lr': 1e-3, 'seconds': 59.0}]
    run = {'metrics': metrics, 'best': {'epoch': 2, 'val_ppl': 4.2}, 'test': {'epoch': 2, 'ppl': 4.3},
           'stopped_early': True, 'time_budget_reached': True}
    (tmp_path / 'run.json').write_text(json.dumps(run))
    result = nanogpt_split.summarise(tmp_path, 2)
    assert result['best_epoch'] == 2 and result['epochs'] == 3 and result['stopped_by'] == 'time budget'
    assert result['train_seconds'] == 180.0
    assert result['heldout_loss_nats'] == round(math.log(4.3), 4)
    assert result['val_loss_nats'] == round(math.log(4.2), 4)
    assert result['heldout_bits_per_char'] == round(math.log(4.3) / math.log(2), 4)
    # log(4.5) = 1.504 > 1.4697, log(4.3) = 1.459 <= 1.4697: first passed after epoch 2, 121 s
    assert result['first_pass_nanogpt'] == {'epoch': 2, 'seconds': 121.0}
    assert '| 1.4586 |' in nanogpt_split.table(result) and 'epoch 2, after 2 min' in nanogpt_split.table(result)
    nanogpt_split.plot(result, tmp_path / 'curve.png')
    assert (tmp_path / 'curve.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_threads_table_shows_every_round_and_the_ratio_of_medians():
    from benchmarks import threads
    results = {'model A': {1: [100.0, 120.0], 2: [150.0, 180.0]}}
    text = threads.table(results, 'Measured on a test.')
    assert text.startswith('Measured on a test.\n\n| model |')
    assert '| model A | 100, 120 | 150, 180 | 1.50× |' in text  # median_high of two: 120 and 180


def test_threads_worker_measures_a_model_in_this_process():
    from benchmarks import threads
    name = next(iter(threads.MODELS))
    assert threads.measure(name, batches=2) > 0


def test_a_failing_threads_worker_says_which_setting_and_why():
    """The worker's own last line of stderr, not a bare CalledProcessError."""
    from benchmarks import threads
    with pytest.raises(SystemExit, match=r"the worker for 'no such model' with 1 thread\(s\) "
                                         r"failed: KeyError: 'no such model'"):
        threads.run_worker('no such model', 1, batches=1)
