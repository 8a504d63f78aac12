"""Count-based n-gram language models, the yardstick for every perplexity.

Chapter 3 explains this code; its ``#@save`` cells are this very code.
Tokens are whatever a ``Vocab`` holds (characters or words); a token
sequence is a list of them, or a string of characters.
"""
import dataclasses
import math

import numpy as onp

from .data import split_corpus


def gram_ids(indices, k, base):
    """One int64 id per k-gram of ``indices`` (length len - k + 1).

    The id of (a, b, c) is (a * base + b) * base + c, so id // base is the
    id of its context (a, b) and id % base its last token c.

    Defined in chapter 3.
    """
    ids = onp.zeros(len(indices) - k + 1, dtype=onp.int64)
    for j in range(k):
        ids = ids * base + indices[j:len(indices) - k + 1 + j]
    return ids


def find_sorted(keys, table):
    """Where ``keys`` are in the sorted array ``table``, and which are.

    Defined in chapter 3.
    """
    pos = onp.minimum(onp.searchsorted(table, keys), max(len(table) - 1, 0))
    return pos, table[pos] == keys


class NGramLM:
    """An n-gram model with interpolated absolute discounting (chapter 3).

    P(w | h) = (max(c(hw) - d, 0) + d * N(h) * P(w | h')) / c(h), where
    c counts in the training text, N(h) is the number of distinct tokens
    seen after context h, and h' is h without its oldest token. An unseen
    context falls back to P(w | h'); the recursion ends in the uniform
    distribution over the vocabulary, so no token gets probability zero.
    With ``kneser_ney=True`` the lower orders count, instead of c(hw), the
    distinct tokens seen *before* hw (interpolated Kneser-Ney).

    Defined in chapter 3.
    """
    def __init__(self, vocab, n, discount=0.75, kneser_ney=False):
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f'n must be an int >= 1 (1 is the unigram '
                             f'model), got {n!r}')
        if not 0 < discount < 1:
            raise ValueError(f'discount must be between 0 and 1 (0.75 is '
                             f'the usual choice), got {discount!r}')
        if n * math.log2(max(len(vocab), 2)) > 62:
            raise ValueError(f'n={n} is too large for a vocabulary of '
                             f'{len(vocab)} tokens (ids overflow int64)')
        self.vocab, self.n, self.discount = vocab, n, discount
        self.kneser_ney = kneser_ney
        self.tables = None

    def indices(self, tokens):
        """Vocabulary indices of ``tokens``; refuse tokens it does not hold."""
        known = self.vocab.token_to_idx
        unknown = sorted({t for t in tokens if t not in known}, key=str)
        if unknown:
            raise ValueError(f'tokens not in the vocabulary: {unknown[:10]}; '
                             'clean the text the way the vocabulary was '
                             'built, or build the vocabulary from it')
        return onp.array([known[t] for t in tokens], dtype=onp.int64)

    def fit(self, tokens):
        """Count every k-gram, k = 1..n, of a token sequence; return self.

        ``tables[k - 1]`` holds the sorted k-gram ids and their counts,
        and the sorted context ids with c(h) and N(h).
        """
        idx = self.indices(tokens)
        if len(idx) < self.n:
            raise ValueError(f'the training text has {len(idx)} tokens; '
                             f'a {self.n}-gram model needs at least {self.n}')
        V, self.tables = len(self.vocab), []
        for k in range(1, self.n + 1):
            grams, counts = onp.unique(gram_ids(idx, k, V),
                                       return_counts=True)
            if self.kneser_ney and k < self.n:
                # Distinct tokens seen before each k-gram: count the
                # (k+1)-grams that end in it
                longer = onp.unique(gram_ids(idx, k + 1, V))
                grams, counts = onp.unique(longer % V ** k,
                                           return_counts=True)
            contexts, starts = onp.unique(grams // V, return_index=True)
            self.tables.append({
                'grams': grams, 'counts': counts, 'contexts': contexts,
                'context_counts': onp.add.reduceat(counts, starts),
                'context_types': onp.diff(onp.append(starts, len(grams)))})
        return self

    def interpolate(self, k, ids, lower):
        """P_k for k-gram ids, given P_{k-1} of the same tokens (``lower``)."""
        table, V = self.tables[k - 1], len(self.vocab)
        i, seen = find_sorted(ids // V, table['contexts'])
        j, found = find_sorted(ids, table['grams'])
        c_hw = onp.where(found, table['counts'][j], 0)
        c_h = table['context_counts'][i]
        mass = self.discount * table['context_types'][i]  # left for lower
        p = (onp.maximum(c_hw - self.discount, 0) + mass * lower) / c_h
        return onp.where(seen, p, lower)

    def token_probs(self, tokens):
        """P(token | up to n - 1 tokens before it) for each token in turn."""
        if self.tables is None:
            raise RuntimeError('call fit(tokens) before using the model')
        idx, V = self.indices(tokens), len(self.vocab)
        p = onp.full(len(idx), 1 / V)
        for k in range(1, min(self.n, len(idx)) + 1):
            p[k - 1:] = self.interpolate(k, gram_ids(idx, k, V), p[k - 1:])
        return p

    def perplexity(self, tokens):
        """exp of the mean negative log-probability of a token sequence."""
        if len(tokens) == 0:
            raise ValueError('cannot compute the perplexity of no tokens')
        return math.exp(-onp.log(self.token_probs(tokens)).mean())

    def probs(self, context):
        """P(w | context) for every vocabulary index w (sums to 1)."""
        if self.tables is None:
            raise RuntimeError('call fit(tokens) before using the model')
        V = len(self.vocab)
        h = self.indices(context)[max(len(context) - self.n + 1, 0):]
        p = onp.full(V, 1 / V)
        for k in range(1, len(h) + 2):
            context_id = gram_ids(h[len(h) - k + 1:], k - 1, V)[0]
            p = self.interpolate(k, context_id * V + onp.arange(V), p)
        return p

    def sample(self, prefix, num_tokens):
        """``prefix`` followed by ``num_tokens`` tokens drawn from the model.

        Draws use NumPy's generator (seed it with d2lmini.set_seed);
        '<unk>' is never drawn. Returns a list of tokens.
        """
        tokens = list(prefix)
        for _ in range(num_tokens):
            p = self.probs(tokens)
            p[self.vocab.unk] = 0
            choice = onp.random.choice(len(p), p=p / p.sum())
            tokens.append(self.vocab.to_tokens(int(choice)))
        return tokens


@dataclasses.dataclass
class NGramYardstick:
    """Held-out perplexities of the unigram and of the best n-gram model.

    Defined in chapter 3.
    """
    n: int
    unigram_ppl: float
    ngram_ppl: float
    val_ppl: dict

    def __str__(self):
        return (f'unigram {self.unigram_ppl:.2f}, best n-gram (n={self.n}) '
                f'{self.ngram_ppl:.2f}')


def ngram_yardstick(train, held_out, vocab, val=None, orders=range(1, 9),
                    val_fraction=0.1, discount=0.75, kneser_ney=True):
    """Choose n on validation text, refit on ``train``, score ``held_out``.

    All three are token sequences. ``val`` defaults to the last
    ``val_fraction`` of ``train`` (then n is chosen by a model fitted on
    the rest). The held-out text is read once, by the chosen model and by
    the unigram model.

    Defined in chapter 3.
    """
    if val is None:
        fit_part, val = split_corpus(train, val_fraction)
    else:
        fit_part = train
    val_ppl = {}
    for n in orders:
        model = NGramLM(vocab, n, discount, kneser_ney).fit(fit_part)
        val_ppl[n] = model.perplexity(val)
    best = min(val_ppl, key=val_ppl.get)
    final = NGramLM(vocab, best, discount, kneser_ney).fit(train)
    unigram = NGramLM(vocab, 1, discount).fit(train)
    return NGramYardstick(best, unigram.perplexity(held_out),
                          final.perplexity(held_out), val_ppl)
