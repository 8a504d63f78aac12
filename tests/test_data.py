"""d2lmini.data: tokens, vocabulary, corpus loading and the two ways of cutting minibatches."""
import random

import pytest

import d2lmini
from d2lmini import corpora


@pytest.fixture(scope='module')
def lines():
    return d2lmini.read_time_machine()


def test_read_time_machine_keeps_lowercase_letters_and_spaces(lines):
    assert lines[0] == 'the time machine by h g wells'
    assert all(set(line) <= set('abcdefghijklmnopqrstuvwxyz ') for line in lines)
    assert all(line and line == line.strip() and '  ' not in line for line in lines)
    # Every non-blank line of the raw text that has a letter gives one line here
    raw = corpora.read_corpus('time_machine').splitlines()
    assert len(lines) == sum(any(c.isalpha() and c.isascii() for c in line) for line in raw)


def test_tokenize():
    assert d2lmini.tokenize(['ab c'], 'char') == [['a', 'b', ' ', 'c']]
    assert d2lmini.tokenize(['ab c', 'd'], 'word') == [['ab', 'c'], ['d']]
    with pytest.raises(ValueError, match="unknown token type 'byte'"):
        d2lmini.tokenize(['ab'], 'byte')


def test_vocab_orders_by_frequency_and_maps_unknowns_to_zero():
    vocab = d2lmini.Vocab([['b', 'a', 'b'], ['c', 'b', 'a']], reserved_tokens=['<pad>'])
    assert vocab.idx_to_token == ['<unk>', '<pad>', 'b', 'a', 'c']
    assert len(vocab) == 5
    assert vocab['b'] == 2 and vocab[['a', 'c']] == [3, 4]
    assert vocab['zzz'] == vocab.unk == 0
    assert vocab.to_tokens([2, 3]) == ['b', 'a'] and vocab.to_tokens(4) == 'c'
    assert vocab.token_freqs[0] == ('b', 3)


def test_vocab_min_freq_drops_rare_tokens():
    vocab = d2lmini.Vocab(list('aaabbc'), min_freq=2)
    assert vocab.idx_to_token == ['<unk>', 'a', 'b']
    assert vocab['c'] == 0


def test_load_corpus_time_machine(lines):
    corpus, vocab = d2lmini.load_corpus_time_machine()
    text = ' '.join(lines)
    assert len(corpus) == len(text)
    assert len(vocab) == 28  # '<unk>', the space and 26 letters
    assert ''.join(vocab.to_tokens(corpus[:16])) == text[:16]
    head, _ = d2lmini.load_corpus_time_machine(max_tokens=100)
    assert head == corpus[:100]


@pytest.mark.parametrize('bad', [0, -2, 1.5, '100'])
def test_load_corpus_rejects_bad_max_tokens(bad):
    with pytest.raises(ValueError, match='max_tokens'):
        d2lmini.load_corpus_time_machine(max_tokens=bad)


def test_random_iter_gives_shifted_disjoint_subsequences():
    random.seed(1)
    corpus = list(range(100))
    starts = []
    for X, Y in d2lmini.seq_data_iter_random(corpus, batch_size=3, num_steps=5):
        assert X.shape == Y.shape == (3, 5)
        assert (Y - X).tolist() == [[1] * 5] * 3
        for row in X.tolist():
            assert row == list(range(int(row[0]), int(row[0]) + 5))
            starts.append(int(row[0]))
    # Subsequences never overlap and all start at the same offset modulo num_steps
    assert len(set(starts)) == len(starts) == 18
    assert len({s % 5 for s in starts}) == 1


def test_sequential_iter_rows_continue_across_batches():
    random.seed(2)
    batches = list(d2lmini.seq_data_iter_sequential(list(range(100)), batch_size=2, num_steps=5))
    assert len(batches) >= 8
    for (X1, _), (X2, Y2) in zip(batches, batches[1:]):
        assert (X2[:, 0] - X1[:, -1]).tolist() == [1, 1]
        assert (Y2 - X2).tolist() == [[1] * 5] * 2


def test_sequential_iter_with_fixed_offset_is_deterministic():
    first = [X.tolist() for X, _ in d2lmini.seq_data_iter_sequential(list(range(35)), 2, 5, offset=0)]
    assert first[0] == [[0, 1, 2, 3, 4], [17, 18, 19, 20, 21]]
    assert first == [X.tolist() for X, _ in d2lmini.seq_data_iter_sequential(list(range(35)), 2, 5, offset=0)]


@pytest.mark.parametrize('use_random_iter', [False, True])
def test_loader_refuses_a_corpus_too_short_for_one_batch(use_random_iter):
    with pytest.raises(ValueError, match='cannot fill one minibatch of batch_size=8 x num_steps=5'):
        d2lmini.SeqDataLoader(list(range(35)), 8, 5, use_random_iter)


@pytest.mark.parametrize('batch_size, num_steps', [(0, 5), (2, 0), (2.0, 5), (True, 5), (2, -1)])
def test_loader_refuses_bad_shapes(batch_size, num_steps):
    with pytest.raises(ValueError, match='must be a positive int'):
        d2lmini.SeqDataLoader(list(range(100)), batch_size, num_steps)
    with pytest.raises(ValueError, match='must be a positive int'):
        next(d2lmini.seq_data_iter_random(list(range(100)), batch_size, num_steps))


@pytest.mark.parametrize('use_random_iter', [False, True])
def test_loader_at_the_smallest_allowed_corpus_yields_a_batch(use_random_iter):
    needed = (2 + 1) * 5 if use_random_iter else 2 * 5 + 5 + 1
    for seed in range(20):  # whatever the random offset
        random.seed(seed)
        loader = d2lmini.SeqDataLoader(list(range(needed)), 2, 5, use_random_iter)
        assert len(list(loader)) >= 1
    with pytest.raises(ValueError):
        d2lmini.SeqDataLoader(list(range(needed - 1)), 2, 5, use_random_iter)


def test_loader_refuses_an_offset_with_random_sampling():
    """Random sampling draws its own offset every epoch, so a fixed one would be ignored: say so."""
    with pytest.raises(ValueError, match=r'offset=0 is for sequential partitioning only.*use_random_iter=False'):
        d2lmini.SeqDataLoader(list(range(100)), 2, 5, use_random_iter=True, offset=0)
    assert len(list(d2lmini.SeqDataLoader(list(range(100)), 2, 5, use_random_iter=True))) >= 1
    assert len(list(d2lmini.SeqDataLoader(list(range(100)), 2, 5, offset=0))) >= 1


@pytest.mark.parametrize('offset', [-1, 6])
def test_loader_refuses_an_offset_outside_0_to_num_steps(offset):
    with pytest.raises(ValueError, match=rf'offset={offset} is outside 0 to num_steps=5'):
        d2lmini.SeqDataLoader(list(range(100)), 2, 5, offset=offset)
    assert len(list(d2lmini.SeqDataLoader(list(range(100)), 2, 5, offset=5))) >= 1


def test_loader_is_reiterable_one_epoch_per_pass():
    """Each pass over a loader is a whole new epoch: random sampling draws new subsequences each time,
    sequential reading from a fixed offset repeats itself."""
    random.seed(0)
    loader = d2lmini.SeqDataLoader(list(range(200)), 4, 5, use_random_iter=True)
    first, second = ([X.tolist() for X, _ in loader] for _ in range(2))
    assert len(first) == len(second) == 9  # (200 - offset - 1) // 5 subsequences, 4 per minibatch
    assert first != second
    fixed = d2lmini.SeqDataLoader(list(range(200)), 4, 5, offset=0)
    assert [X.tolist() for X, _ in fixed] == [X.tolist() for X, _ in fixed] and len(list(fixed)) == 9


def test_max_batches_cuts_every_pass_only_when_set(monkeypatch):
    """The notebook checks' cap: each pass stops after $D2LMINI_MAX_BATCHES minibatches, the same
    first ones; unset (as in real runs) the loader reads the whole sequence."""
    loader = d2lmini.SeqDataLoader(list(range(200)), 4, 5, offset=0)
    monkeypatch.delenv('D2LMINI_MAX_BATCHES', raising=False)
    whole = [X.tolist() for X, _ in loader]
    assert d2lmini.data.max_batches() is None and len(whole) == 9
    monkeypatch.setenv('D2LMINI_MAX_BATCHES', '3')
    assert [X.tolist() for X, _ in loader] == whole[:3]
    monkeypatch.setenv('D2LMINI_MAX_BATCHES', '50')
    assert len(list(loader)) == 9
    for bad in ('0', 'ten', '-2'):
        monkeypatch.setenv('D2LMINI_MAX_BATCHES', bad)
        with pytest.raises(ValueError, match='D2LMINI_MAX_BATCHES must be a positive integer'):
            list(loader)


def test_load_data_time_machine():
    data_iter, vocab = d2lmini.load_data_time_machine(32, 35)
    X, Y = next(iter(data_iter))
    assert X.shape == Y.shape == (32, 35) and len(vocab) == 28
    assert str(X.dtype) == 'int32'
    with pytest.raises(ValueError, match='cannot fill'):
        d2lmini.load_data_time_machine(32, 35, max_tokens=1000)


def test_split_corpus():
    head, tail = d2lmini.split_corpus(list(range(100)), 0.1)
    assert head == list(range(90)) and tail == list(range(90, 100))
    for bad in (0, 1, -0.1, 1.5):
        with pytest.raises(ValueError, match='held_out'):
            d2lmini.split_corpus([1, 2, 3], bad)


def test_load_data_time_machine_split_covers_the_book_once():
    corpus, _ = d2lmini.load_corpus_time_machine()
    train_iter, held_out_iter, vocab = d2lmini.load_data_time_machine_split(32, 35, held_out=0.1)
    cut = len(corpus) - len(corpus) // 10
    first_X, _ = next(iter(held_out_iter))
    # The held-out reader starts at the cut, in a fixed order, and train rows never reach it
    assert first_X[0].tolist() == corpus[cut:cut + 35]
    for X, Y in train_iter:
        assert X.shape == (32, 35)
    assert len(train_iter.corpus) == cut


def test_clean_text():
    assert d2lmini.clean_text("First Citizen:\nBefore we proceed, hear me.") == \
        'first citizen before we proceed hear me'
    assert d2lmini.clean_text('A b!\n', letters_only=False) == 'A b!\n'


@pytest.mark.parametrize('letters_only', [True, False])
def test_shakespeare_split_is_contiguous_and_vocab_comes_from_training(letters_only):
    train_iter, val_iter, test_iter, vocab = d2lmini.load_data_shakespeare(16, 20, letters_only)
    text = d2lmini.clean_text(corpora.read_corpus('tiny_shakespeare'), letters_only)
    train, val, test = (it.corpus for it in (train_iter, val_iter, test_iter))
    assert len(train) + len(val) + len(test) == len(text)
    assert len(val) == len(test) == int(len(text) * 0.05)
    # The three slices are the text in order, with no overlap
    assert ''.join(vocab.to_tokens(test[-30:])) == text[-30:]
    assert ''.join(vocab.to_tokens(val[:30])) == text[len(train):len(train) + 30]
    assert set(vocab.idx_to_token[1:]) == set(text[:len(train)])
    assert len(vocab) == (28 if letters_only else 66)
    X, _ = next(iter(test_iter))
    assert X[0].tolist() == test[:20]


def test_unseen_characters_map_to_unk(monkeypatch, tmp_path):
    text = 'abcab' * 100 + 'abz' * 10  # 'z' appears only in the held-out tail
    (tmp_path / 'toy.txt').write_text(text)
    monkeypatch.setitem(corpora.CORPORA, 'toy', corpora.Corpus(
        'toy', 'toy.txt', 'http://127.0.0.1:9/toy.txt', corpora.sha1sum(tmp_path / 'toy.txt')))
    monkeypatch.setenv('D2LMINI_DATA', str(tmp_path))
    _, _, test_iter, vocab = d2lmini.load_data_corpus('toy', 2, 5, letters_only=False,
                                                       val_fraction=0.05, test_fraction=0.05)
    assert 'z' not in vocab.token_to_idx
    assert vocab.unk in test_iter.corpus


def test_load_data_corpus_rejects_bad_fractions():
    with pytest.raises(ValueError, match='test_fraction must be between 0 and 0.5'):
        d2lmini.load_data_corpus('tiny_shakespeare', 2, 5, test_fraction=0.7)
