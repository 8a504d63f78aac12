"""benchmarks/: FLOP counts, tables and files, and tiny real runs of each measuring path."""
import csv
import json
import math

import pytest
from mxnet import npx

import d2lmini
from benchmarks import __main__ as cli
from benchmarks import flops, quality, report, specs, throughput, worker

npx.set_np()
DEVICE = npx.cpu()


def test_flops_match_a_hand_count():
    # vocabulary 28, 256 hidden: input 28*256 = 7168, recurrence 256*256 = 65536, output 256*28 = 7168
    assert flops.forward_macs_per_token('rnn', 28, 256) == 7168 + 65536 + 7168
    assert flops.forward_macs_per_token('gru', 28, 256) == 3 * (7168 + 65536) + 7168
    assert flops.forward_macs_per_token('lstm', 28, 256) == 4 * (7168 + 65536) + 7168
    assert flops.train_flops_per_token('gru', 28, 256) == 6 * 225280


def test_every_model_builds_and_has_a_flop_count():
    for name, spec in specs.MODELS.items():
        net = specs.build(name, 10, 8, DEVICE)
        assert isinstance(net, d2lmini.RNNModelScratch) == spec.scratch
        assert flops.train_flops_per_token(spec.cell, 10, 8) > 0


def fake_results():
    rows = []
    for model, speeds in {'gru': {'train_ch8': 900, 'bare': 1000, 'd2l': 600},
                          'lstm': {'train_ch8': 800, 'bare': 1000}}.items():
        for path, speed in speeds.items():
            rows.append({'model': model, 'kind': path, 'plot': True, 'tokens_per_sec': speed,
                         'timed_epochs': 2, 'spread': 0.1, 'epoch_tokens_per_sec': [speed] * 3,
                         'peak_rss_mb': 300.0, 'rss_increase_mb': 50.0})
    return {'throughput': rows, 'matmul': {'matmul_gflops': 100.0, 'small_matmul_gflops': 10.0},
            'labels': {m: specs.MODELS[m].label for m in specs.MODELS},
            'scratch': {m: specs.MODELS[m].scratch for m in specs.MODELS},
            'flops_per_token': {m: 1e6 for m in specs.MODELS}}


def test_tables_ratios_and_targets():
    results = fake_results()
    header, rows = report.throughput_table(results, ['gru', 'lstm'])
    gru = dict(zip(header, rows[0]))
    assert gru['d2lmini.train_ch8 (tokens/s)'] == '900' and gru['train_ch8 / bare'] == '90%'
    assert gru['train_ch8 / d2l'] == '1.50×' and dict(zip(header, rows[1]))['train_ch8 / d2l'] == '—'
    met = {t['target']: t['met'] for t in report.targets(results, ['gru', 'lstm'])}
    assert met == {'rnn.GRU: train_ch8 ≥ 90% of the bare loop': True,
                   'rnn.GRU: train_ch8 at least as fast as d2l 1.0.3, as shipped': True,
                   'rnn.LSTM: train_ch8 ≥ 90% of the bare loop': False}
    header, rows = report.resources_table(results, ['gru'])
    row = dict(zip(header, rows[0]))  # 900 tokens/s x 1 MFLOP = 0.9 GFLOP/s = 0.9% of 100
    assert row['train_ch8 GFLOP/s'] == '0.90' and row['of the large-matmul peak'] == '0.9%'


def test_markdown_and_csv_writers(tmp_path):
    md = report.markdown_table(['a', 'b'], [[1, 'x'], [2, 'y']])
    assert md.splitlines() == ['| a | b |', '| --- | --- |', '| 1 | x |', '| 2 | y |']
    report.write_csv(tmp_path / 't.csv', *report.csv_rows(fake_results()))
    with open(tmp_path / 't.csv', newline='') as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 5 and rows[0]['model'] == 'gru' and rows[0]['path'] == 'train_ch8'
    assert float(rows[0]['gflops']) == pytest.approx(0.9)


def tiny_data():
    text = 'the time machine moves through time and the traveller watches ' * 5
    vocab = d2lmini.Vocab(list(text))
    return d2lmini.SeqDataLoader(vocab[list(text)], 4, 10), vocab


@pytest.mark.parametrize('runner', [throughput.run_train_ch8, throughput.run_bare])
@pytest.mark.parametrize('model', ['scratch-rnn', 'gru'])
def test_tiny_throughput_runs(runner, model):
    train_iter, vocab = tiny_data()
    result = runner(model, train_iter, vocab, DEVICE, epochs=1, warmup=1, num_hiddens=8)
    assert result['tokens_per_sec'] > 0 and result['cpu_tokens_per_sec'] > 0 and result['timed_epochs'] == 1
    assert len(result['epoch_tokens_per_sec']) == 2


def test_tiny_quality_run_stops_on_time():
    train_iter, vocab = tiny_data()
    held_out = d2lmini.SeqDataLoader(train_iter.args[0], 4, 10, offset=0)  # fixed order, as the real split's
    result = quality.train_for('gru', 0.5, (train_iter, held_out, held_out, vocab), DEVICE, checkpoints=2,
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


def test_worker_reports_memory():
    result = worker.run({'kind': 'matmul', 'n': 64, 'device': 'cpu'})  # in-process: a subprocess costs ~5 s
    assert result['matmul_gflops'] > 0 and result['small_matmul_gflops'] > 0
    assert result['peak_rss_mb'] >= result['rss_baseline_mb'] > 0


def test_peer_models_exist_only_where_d2l_has_them():
    from benchmarks import peer
    assert peer.build_peer('gru', 10, num_hiddens=8).rnn.num_hiddens == 8
    for model, spec in specs.MODELS.items():
        if not spec.peer:
            with pytest.raises(ValueError, match='d2l 1.0.3'):
                peer.build_peer(model, 10, num_hiddens=8)
