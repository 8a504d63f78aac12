"""Language-model data: character tokens, a vocabulary, and minibatches cut from one long sequence.

Chapter 2 explains reading The Time Machine, tokens, the vocabulary, minibatches and the held-out
split (its ``#@save`` cells are this very code). The validation slice of The Time Machine
(``load_data_time_machine_val``) is chapter 13's; the other registered corpora, cut into training,
validation and test text (``corpus_splits``, ``load_data_corpus``, ``load_data_shakespeare``),
serve chapter 12 and the Shakespeare homework.
"""
import collections
import itertools
import os
import random
import re

from mxnet import np

from . import corpora

ENV_MAX_BATCHES = 'D2LMINI_MAX_BATCHES'


def env_cap(name):
    """The positive integer in environment variable ``name``, or None if it is unset or empty.

    The notebook checks set such caps on a run's length (``max_epochs``, ``max_seeds``,
    ``max_batches``) so that every cell runs in seconds; real runs leave them unset.
    """
    cap = os.environ.get(name)
    if not cap:
        return None
    if not cap.isdigit() or int(cap) < 1:
        raise ValueError(f'{name} must be a positive integer, got {cap!r}; unset it for full runs')
    return int(cap)


def max_batches():
    """The cap on minibatches per pass over a ``SeqDataLoader`` ($D2LMINI_MAX_BATCHES), or None."""
    return env_cap(ENV_MAX_BATCHES)


def clean_text(text, letters_only=True):
    """D2L's text preprocessing (lower-case letters and single spaces), or the
    text as it is.

    Defined in chapter 2.
    """
    if letters_only:
        return re.sub('[^A-Za-z]+', ' ', text).strip().lower()
    return text


def read_time_machine():
    """The Time Machine as a list of non-empty lines of lower-case letters and
    single spaces.

    Defined in chapter 2.
    """
    lines = corpora.read_corpus('time_machine').splitlines()
    lines = [clean_text(line) for line in lines]
    return [line for line in lines if line]


def tokenize(lines, token='char'):
    """Split each line into tokens: a list (one per line) of lists of
    characters or words.

    Defined in chapter 2.
    """
    if token == 'char':
        return [list(line) for line in lines]
    if token == 'word':
        return [line.split() for line in lines]
    raise ValueError(f"unknown token type {token!r}: use 'char' or 'word'")


class Vocab:
    """Map tokens to indices (most frequent first) and back; index 0 is '<unk>'.

    Defined in chapter 2.
    """
    def __init__(self, tokens=None, min_freq=0, reserved_tokens=None):
        tokens = tokens or []
        # A list of lines: flatten it
        if tokens and isinstance(tokens[0], list):
            tokens = [token for line in tokens for token in line]
        counter = collections.Counter(tokens)
        self.token_freqs = sorted(counter.items(), key=lambda x: x[1],
                                  reverse=True)
        self.idx_to_token = ['<unk>'] + list(reserved_tokens or [])
        self.idx_to_token += [token for token, freq in self.token_freqs
                              if freq >= min_freq
                              and token not in self.idx_to_token]
        self.token_to_idx = {token: idx
                             for idx, token in enumerate(self.idx_to_token)}

    def __len__(self):
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        """Index of one token (unknown tokens give 0, '<unk>'), or a list of
        indices.
        """
        if isinstance(tokens, (list, tuple)):
            return [self[token] for token in tokens]
        return self.token_to_idx.get(tokens, self.unk)

    def to_tokens(self, indices):
        """Token of one index, or a list of tokens."""
        if isinstance(indices, (list, tuple)):
            return [self.to_tokens(index) for index in indices]
        return self.idx_to_token[int(indices)]

    @property
    def unk(self):
        return 0


def load_corpus_time_machine(max_tokens=-1):
    """Token indices of The Time Machine (characters; lines joined by a space)
    and its vocabulary.

    ``max_tokens=-1`` keeps the whole book; a positive number keeps only the
    first tokens.

    Defined in chapter 2.
    """
    if max_tokens != -1 and (not isinstance(max_tokens, int) or max_tokens < 1):
        raise ValueError('max_tokens must be -1 (the whole book) or a '
                         f'positive int, got {max_tokens!r}')
    tokens = list(' '.join(read_time_machine()))
    vocab = Vocab(tokens)
    corpus = vocab[tokens]
    if max_tokens > 0:
        corpus = corpus[:max_tokens]
    return corpus, vocab


def check_batch_shape(num_tokens, batch_size, num_steps, use_random_iter):
    """Raise a clear ValueError unless batch_size and num_steps are positive
    ints the corpus can fill.

    The counts allow for the worst random offset of
    ``seq_data_iter_random``/``_sequential``.

    Defined in chapter 2.
    """
    for name, value in (('batch_size', batch_size), ('num_steps', num_steps)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f'{name} must be a positive int, got {value!r}')
    if use_random_iter:
        needed = (batch_size + 1) * num_steps
    else:
        needed = batch_size * num_steps + num_steps + 1
    if num_tokens < needed:
        raise ValueError(
            f'a corpus of {num_tokens} tokens cannot fill one minibatch of '
            f'batch_size={batch_size} x num_steps={num_steps}: '
            f'it needs at least {needed} tokens. '
            'Use a smaller batch_size or num_steps, or more text.')


def seq_data_iter_random(corpus, batch_size, num_steps):
    """Minibatches of subsequences taken from random places; neighbouring
    batches are unrelated.

    Yields (X, Y), both of shape (batch_size, num_steps); Y is X shifted by
    one token.

    Defined in chapter 2.
    """
    check_batch_shape(len(corpus), batch_size, num_steps, use_random_iter=True)
    # Start at a random offset so that every epoch cuts the text at
    # different places
    corpus = corpus[random.randint(0, num_steps - 1):]
    # Subtract 1: the labels of the last subsequence need one more token
    num_subseqs = (len(corpus) - 1) // num_steps
    starts = list(range(0, num_subseqs * num_steps, num_steps))
    random.shuffle(starts)
    num_batches = num_subseqs // batch_size
    for i in range(0, batch_size * num_batches, batch_size):
        batch_starts = starts[i:i + batch_size]
        X = [corpus[j:j + num_steps] for j in batch_starts]
        Y = [corpus[j + 1:j + 1 + num_steps] for j in batch_starts]
        yield np.array(X, dtype='int32'), np.array(Y, dtype='int32')


def seq_data_iter_sequential(corpus, batch_size, num_steps, offset=None):
    """Minibatches in which row i of one batch continues where row i of the
    previous batch ended.

    Yields (X, Y), both of shape (batch_size, num_steps). ``offset`` is where
    reading starts (default: random in [0, num_steps]; use 0 for a fixed
    order, e.g. when evaluating).

    Defined in chapter 2.
    """
    check_batch_shape(len(corpus), batch_size, num_steps, use_random_iter=False)
    if offset is None:
        offset = random.randint(0, num_steps)
    num_tokens = ((len(corpus) - offset - 1) // batch_size) * batch_size
    Xs = np.array(corpus[offset:offset + num_tokens],
                  dtype='int32').reshape(batch_size, -1)
    Ys = np.array(corpus[offset + 1:offset + 1 + num_tokens],
                  dtype='int32').reshape(batch_size, -1)
    num_batches = Xs.shape[1] // num_steps
    for i in range(0, num_steps * num_batches, num_steps):
        yield Xs[:, i:i + num_steps], Ys[:, i:i + num_steps]


class SeqDataLoader:
    """An iterable over minibatches of one token sequence, ``corpus``; each
    pass is one epoch.

    ``use_random_iter`` picks random sampling (a new shuffle every epoch)
    instead of sequential partitioning. ``offset`` (sequential only, 0 to
    ``num_steps``) fixes where reading starts; by default each epoch draws
    one.

    Defined in chapter 2.
    """
    def __init__(self, corpus, batch_size, num_steps, use_random_iter=False,
                 offset=None):
        if use_random_iter and offset is not None:
            raise ValueError(
                f'offset={offset!r} is for sequential partitioning only: '
                'random sampling draws a new offset every epoch. Drop '
                'offset, or pass use_random_iter=False.')
        if offset is not None and not 0 <= offset <= num_steps:
            raise ValueError(
                f'offset={offset!r} is outside 0 to num_steps={num_steps}: '
                'larger offsets would only skip whole windows.')
        # Fail now, not in the middle of an epoch
        check_batch_shape(len(corpus), batch_size, num_steps, use_random_iter)
        self.corpus = corpus
        if use_random_iter:
            self.data_iter_fn = seq_data_iter_random
            self.args = (corpus, batch_size, num_steps)
        else:
            self.data_iter_fn = seq_data_iter_sequential
            self.args = (corpus, batch_size, num_steps, offset)

    def __iter__(self):
        # max_batches() is None (no cap) except under the notebook checks
        return itertools.islice(self.data_iter_fn(*self.args), max_batches())


def load_data_time_machine(batch_size, num_steps, use_random_iter=False,
                           max_tokens=-1):
    """(data_iter, vocab) for The Time Machine, characters, the whole book by
    default.

    Defined in chapter 2.
    """
    corpus, vocab = load_corpus_time_machine(max_tokens)
    return SeqDataLoader(corpus, batch_size, num_steps, use_random_iter), vocab


def split_corpus(corpus, held_out):
    """Split a token sequence into a training head and a held-out tail of
    fraction ``held_out``.

    Defined in chapter 2.
    """
    if not 0 < held_out < 1:
        raise ValueError('held_out must be a fraction between 0 and 1, '
                         f'got {held_out!r}')
    cut = len(corpus) - int(len(corpus) * held_out)
    return corpus[:cut], corpus[cut:]


def load_data_time_machine_split(batch_size, num_steps, held_out=0.1,
                                 use_random_iter=False):
    """(train_iter, held_out_iter, vocab): train on the head of the book,
    evaluate on its tail.

    The held-out iterator reads the tail in a fixed order (sequential,
    offset 0).

    Defined in chapter 2.
    """
    corpus, vocab = load_corpus_time_machine()
    train, tail = split_corpus(corpus, held_out)
    train_iter = SeqDataLoader(train, batch_size, num_steps, use_random_iter)
    held_out_iter = SeqDataLoader(tail, batch_size, num_steps, offset=0)
    return train_iter, held_out_iter, vocab


def load_data_time_machine_val(batch_size, num_steps, held_out=0.1,
                               val_fraction=0.1, use_random_iter=False):
    """(train_iter, val_iter, held_out_iter, vocab): chapter 4's split with a
    validation slice.

    The held-out tail is the same as ``load_data_time_machine_split``'s;
    the last ``val_fraction`` of the training part before it becomes the
    validation slice (as ``ngram_yardstick`` carves it), and the model
    trains on the rest. Validation and held-out text are read in order.

    Defined in chapter 13.
    """
    corpus, vocab = load_corpus_time_machine()
    train, tail = split_corpus(corpus, held_out)
    train, val = split_corpus(train, val_fraction)
    train_iter = SeqDataLoader(train, batch_size, num_steps, use_random_iter)
    val_iter = SeqDataLoader(val, batch_size, num_steps, offset=0)
    held_out_iter = SeqDataLoader(tail, batch_size, num_steps, offset=0)
    return train_iter, val_iter, held_out_iter, vocab


def corpus_splits(name, letters_only=True, val_fraction=0.05, test_fraction=0.05):
    """(train_text, val_text, test_text): a registered corpus cut into three contiguous slices.

    In this order: training, validation, test (the end of the text).
    """
    for label, fraction in (('val_fraction', val_fraction), ('test_fraction', test_fraction)):
        if not 0 < fraction < 0.5:
            raise ValueError(f'{label} must be between 0 and 0.5, got {fraction!r}')
    text = clean_text(corpora.read_corpus(name), letters_only)
    val_start = len(text) - int(len(text) * test_fraction) - int(len(text) * val_fraction)
    test_start = len(text) - int(len(text) * test_fraction)
    return text[:val_start], text[val_start:test_start], text[test_start:]


def load_data_corpus(name, batch_size, num_steps, letters_only=True, val_fraction=0.05,
                     test_fraction=0.05, use_random_iter=False):
    """(train_iter, val_iter, test_iter, vocab) for a registered corpus, as characters.

    The text is cut by ``corpus_splits`` into training, validation and test slices.
    The vocabulary is built on the training slice only; characters it lacks map to '<unk>'.
    Validation and test iterators read their slice once, in order (sequential, offset 0).
    """
    train_text, val_text, test_text = corpus_splits(name, letters_only, val_fraction, test_fraction)
    vocab = Vocab(list(train_text))
    train_iter = SeqDataLoader(vocab[list(train_text)], batch_size, num_steps, use_random_iter)
    val_iter = SeqDataLoader(vocab[list(val_text)], batch_size, num_steps, offset=0)
    test_iter = SeqDataLoader(vocab[list(test_text)], batch_size, num_steps, offset=0)
    return train_iter, val_iter, test_iter, vocab


def load_data_shakespeare(batch_size, num_steps, letters_only=True, use_random_iter=False):
    """(train_iter, val_iter, test_iter, vocab) for Tiny Shakespeare: 90% / 5% / 5%, contiguous."""
    return load_data_corpus('tiny_shakespeare', batch_size, num_steps, letters_only,
                            use_random_iter=use_random_iter)
