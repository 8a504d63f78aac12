"""Fixtures shared by the unit tests: the device, a toy vocabulary and a small scratch RNN."""
import pytest
from mxnet import npx

import d2lmini


@pytest.fixture
def device():
    """The CPU: the unit tests' numbers do not depend on whether the machine has a GPU."""
    return npx.cpu()


@pytest.fixture
def toy_vocab():
    """Six tokens, by frequency in 'aaaabbbccd ': '<unk>' 0, a 1, b 2, c 3, d 4, ' ' 5."""
    return d2lmini.Vocab(list('aaaabbbccd '))


@pytest.fixture
def scratch_model(device):
    """``make(vocab_size=7, num_hiddens=16, seed=0)``: a chapter-4 scratch RNN, its weights seeded."""
    def make(vocab_size=7, num_hiddens=16, seed=0):
        d2lmini.set_seed(seed)
        return d2lmini.RNNModelScratch(vocab_size, num_hiddens, device, d2lmini.get_rnn_params,
                                       d2lmini.init_rnn_state, d2lmini.rnn)
    return make
