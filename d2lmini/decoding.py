"""Decoding: turning a language model's next-character scores into text by sampling (chapter 11).

Greedy decoding is ``d2lmini.predict_ch8``; this module adds sampling with a temperature and top-k.
"""
import math
import numbers

import numpy as onp
from mxnet import np

from .training import check_prefix


def predict_sample(prefix, num_preds, net, vocab, device, temperature=1.0,
                   top_k=None):
    """Like ``predict_ch8``, but *sample* each of the ``num_preds`` characters
    instead of taking the argmax.

    The next character is drawn from softmax(logits / temperature), restricted
    to the ``top_k`` most likely characters if ``top_k`` is given. A small
    temperature approaches greedy decoding, 1 samples from the model's own
    distribution, a large one flattens it. '<unk>' (index 0) is never emitted:
    it stands for "some character outside the vocabulary", not for a character
    we could print, so its score is masked out before sampling. The draws come
    from NumPy's generator (``d2lmini.set_seed``), on the logits copied to the
    host, so a seeded run samples the same text on a CPU and on a GPU (as long
    as the logits agree).

    Defined in chapter 11.
    """
    check_prefix(prefix, num_preds, vocab)
    if (isinstance(temperature, bool)
            or not isinstance(temperature, numbers.Real)
            or not 0 < temperature < math.inf):
        raise ValueError('temperature must be a positive finite number, '
                         f'got {temperature!r} (small values approach greedy '
                         'decoding, 1 samples from the model)')
    if top_k is not None and (isinstance(top_k, bool)
                              or not isinstance(top_k, numbers.Integral)
                              or not 1 <= top_k <= len(vocab)):
        raise ValueError('top_k must be None or an int from 1 to the '
                         f'vocabulary size {len(vocab)}, got {top_k!r}')
    outputs = vocab[list(prefix)]
    state = net.begin_state(batch_size=1, ctx=device)
    if len(outputs) > 1:  # warm-up, exactly as in predict_ch8
        _, state = net(np.array([outputs[:-1]], ctx=device), state)
    for _ in range(num_preds):
        y, state = net(np.array([[outputs[-1]]], ctx=device), state)
        # One copy to the host per character
        logits = y[0].asnumpy().astype(onp.float64)
        logits[vocab.unk] = -onp.inf  # never sample '<unk>'
        if top_k is not None:  # keep the k largest scores, drop the rest
            logits[onp.argsort(logits)[:-top_k]] = -onp.inf
        # Subtract the maximum before dividing: exp never overflows, even for
        # a tiny temperature
        probs = onp.exp((logits - logits.max()) / temperature)
        outputs.append(int(onp.random.choice(len(probs),
                                             p=probs / probs.sum())))
    return ''.join(vocab.to_tokens(outputs))
