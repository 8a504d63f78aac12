"""The count-based n-gram model of chapter 3 (d2lmini.ngram)."""
import math

import numpy as onp
import pytest

import d2lmini
from d2lmini import NGramLM, Vocab, ngram_yardstick

TEXT = 'abracadabra'


@pytest.fixture
def vocab():
    return Vocab(list(TEXT))  # '<unk>', a, b, r, c, d


@pytest.mark.parametrize('n', [1, 2, 3, 4])
@pytest.mark.parametrize('kneser_ney', [False, True])
def test_probabilities_sum_to_one_for_every_context(vocab, n, kneser_ney):
    model = NGramLM(vocab, n, kneser_ney=kneser_ney).fit(TEXT)
    contexts = ['', 'a', 'ab', 'abr', 'dd', 'cc', 'rabr']
    for context in contexts:
        p = model.probs(context)
        assert p.shape == (len(vocab),)
        assert p.min() > 0, f'a token got probability 0 after {context!r}'
        assert math.isclose(p.sum(), 1, rel_tol=1e-12), context


def test_unigram_by_hand(vocab):
    # counts a:5 b:2 r:2 c:1 d:1, N = 11, 5 types seen; d = 0.5, V = 6
    p = NGramLM(vocab, 1, discount=0.5).fit(TEXT).probs('')
    uniform = 1 / 6
    assert p[vocab['a']] == pytest.approx((5 - 0.5 + 0.5 * 5 * uniform) / 11)
    assert p[vocab['c']] == pytest.approx((1 - 0.5 + 0.5 * 5 * uniform) / 11)
    assert p[vocab['<unk>']] == pytest.approx(0.5 * 5 * uniform / 11)


def test_bigram_by_hand(vocab):
    # After 'a': ab twice, ac once, ad once; c('a' as a context) = 4 (the
    # final 'a' has no successor), 3 distinct successors
    model = NGramLM(vocab, 2, discount=0.5).fit(TEXT)
    unigram = NGramLM(vocab, 1, discount=0.5).fit(TEXT).probs('')
    p = model.probs('a')
    b, r = vocab['b'], vocab['r']
    assert p[b] == pytest.approx((2 - 0.5 + 0.5 * 3 * unigram[b]) / 4)
    assert p[r] == pytest.approx(0.5 * 3 * unigram[r] / 4)  # 'ar' unseen


def test_unseen_context_backs_off_to_the_lower_order(vocab):
    model = NGramLM(vocab, 3).fit(TEXT)
    bigram = NGramLM(vocab, 2).fit(TEXT)
    # 'dd' never occurs, so P(. | 'dd') is the bigram's P(. | 'd')
    onp.testing.assert_allclose(model.probs('dd'), bigram.probs('d'))


def test_kneser_ney_lower_order_uses_continuation_counts(vocab):
    # In the unigram level of a KN bigram, 'a' counts once per distinct
    # predecessor (r, c, d: 3), 'b' once (a): not 5 and 2
    model = NGramLM(vocab, 2, discount=0.5, kneser_ney=True).fit(TEXT)
    table = model.tables[0]
    counts = dict(zip(table['grams'].tolist(), table['counts'].tolist()))
    assert counts[vocab['a']] == 3 and counts[vocab['b']] == 1


def test_token_probs_match_probs_of_each_context(vocab):
    model = NGramLM(vocab, 4, kneser_ney=True).fit(TEXT)
    seq = 'cabrad'
    expected = [model.probs(seq[max(0, t - 3):t])[vocab[seq[t]]]
                for t in range(len(seq))]
    onp.testing.assert_allclose(model.token_probs(seq), expected)


def test_perplexity_is_exp_of_mean_negative_log_probability(vocab):
    model = NGramLM(vocab, 2).fit(TEXT)
    p = model.token_probs('abra')
    assert model.perplexity('abra') == pytest.approx(math.exp(-onp.log(p).mean()))


def test_a_longer_context_helps_on_repetitive_text(vocab):
    text = 'abcd' * 50
    v = Vocab(list(text))
    ppl = [NGramLM(v, n).fit(text).perplexity('abcdabcd') for n in (1, 2)]
    assert ppl[1] < ppl[0] / 2


def test_sample_is_seeded_and_never_draws_unk(vocab):
    model = NGramLM(vocab, 2).fit(TEXT)
    d2lmini.set_seed(1)
    first = model.sample('ab', 200)
    d2lmini.set_seed(1)
    assert model.sample('ab', 200) == first
    assert first[:2] == ['a', 'b'] and len(first) == 202
    assert '<unk>' not in first


@pytest.mark.parametrize('n', [0, -1, 2.0, True])
def test_bad_order_is_refused(vocab, n):
    with pytest.raises(ValueError, match='n must be an int'):
        NGramLM(vocab, n)


@pytest.mark.parametrize('discount', [0, 1, -0.5, 1.5])
def test_bad_discount_is_refused(vocab, discount):
    with pytest.raises(ValueError, match='discount must be between 0 and 1'):
        NGramLM(vocab, 2, discount=discount)


def test_empty_or_short_training_text_is_refused(vocab):
    with pytest.raises(ValueError, match='has 0 tokens'):
        NGramLM(vocab, 2).fit('')
    with pytest.raises(ValueError, match='needs at least 3'):
        NGramLM(vocab, 3).fit('ab')


def test_tokens_outside_the_vocabulary_are_refused(vocab):
    model = NGramLM(vocab, 2)
    with pytest.raises(ValueError, match=r"not in the vocabulary: \['x', 'z'\]"):
        model.fit('abxaz')
    model.fit(TEXT)
    with pytest.raises(ValueError, match='not in the vocabulary'):
        model.perplexity('abe')
    with pytest.raises(ValueError, match='not in the vocabulary'):
        model.probs('é')


def test_use_before_fit_and_empty_evaluation_are_refused(vocab):
    with pytest.raises(RuntimeError, match='call fit'):
        NGramLM(vocab, 2).perplexity('ab')
    with pytest.raises(ValueError, match='no tokens'):
        NGramLM(vocab, 2).fit(TEXT).perplexity('')


def test_too_long_order_for_the_vocabulary_is_refused():
    words = Vocab([str(i) for i in range(5000)])
    with pytest.raises(ValueError, match='too large'):
        NGramLM(words, 6)


def test_yardstick_chooses_n_on_validation_not_on_held_out():
    text = 'abcd' * 40
    v = Vocab(list(text))
    # Validation is periodic, the held-out text is not: the choice must
    # follow validation (n > 1) although the unigram wins on held-out
    held_out = 'aaaabbbbccccdddd'
    result = ngram_yardstick(text, held_out, v, val='abcdabcdabcd',
                             orders=range(1, 4))
    assert result.n > 1
    assert set(result.val_ppl) == {1, 2, 3}
    assert result.val_ppl[result.n] == min(result.val_ppl.values())
    unigram = NGramLM(v, 1).fit(text).perplexity(held_out)
    assert result.unigram_ppl == pytest.approx(unigram)
    assert result.ngram_ppl > result.unigram_ppl  # honest, even when worse


def test_yardstick_on_the_books_split_uses_the_loaders_split():
    """The chapters' yardstick reads the same tail as load_data_time_machine_split."""
    corpus, vocab = d2lmini.load_corpus_time_machine()
    train, tail = d2lmini.split_corpus(vocab.to_tokens(corpus), 0.1)
    _, held_out_iter, _ = d2lmini.load_data_time_machine_split(1, 100)
    first_batch = next(iter(held_out_iter))[0].asnumpy().ravel().tolist()
    assert vocab[tail[:100]] == first_batch
    result = ngram_yardstick(train, tail, vocab, orders=range(1, 4))
    assert result.n == 3 and result.unigram_ppl > result.ngram_ppl
