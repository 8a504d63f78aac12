"""The benchmarked models: how to build each one with d2lmini, and which d2l 1.0.3 model is its peer."""
import dataclasses

import d2lmini


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    name: str
    cell: str        # one of d2lmini.LAYER_KINDS ('rnn', 'gru', 'lstm'): decides the FLOP count
    scratch: bool    # True: d2lmini.RNNModelScratch; False: d2lmini.RNNModel around a Gluon layer
    label: str       # how the book writes it
    peer: str = ''   # the d2l 1.0.3 model with the same architecture ('' if d2l has none)


MODELS = {spec.name: spec for spec in [
    ModelSpec('scratch-rnn', 'rnn', True, 'scratch RNN', 'd2l.RNNLMScratch(d2l.RNNScratch)'),
    ModelSpec('scratch-gru', 'gru', True, 'scratch GRU'),  # d2l.mxnet 1.0.3 has no GRUScratch
    ModelSpec('scratch-lstm', 'lstm', True, 'scratch LSTM'),  # nor LSTMScratch
    ModelSpec('rnn', 'rnn', False, 'rnn.RNN (tanh)', 'd2l.RNNLM(d2l.RNN)'),
    ModelSpec('gru', 'gru', False, 'rnn.GRU', 'd2l.RNNLM(d2l.GRU)'),
    ModelSpec('lstm', 'lstm', False, 'rnn.LSTM'),  # d2l.mxnet 1.0.3 has no LSTM class
]}
DEFAULT_MODELS = ('scratch-rnn', 'scratch-gru', 'rnn', 'gru', 'lstm')

_SCRATCH = {'rnn': (d2lmini.get_rnn_params, d2lmini.init_rnn_state, d2lmini.rnn),
            'gru': (d2lmini.get_gru_params, d2lmini.init_rnn_state, d2lmini.gru),
            'lstm': (d2lmini.get_lstm_params, d2lmini.init_lstm_state, d2lmini.lstm)}


def build(name, vocab_size, num_hiddens, device):
    """A fresh model, exactly as the chapters build it (a Gluon model still needs ``d2lmini.init_params``)."""
    spec = MODELS[name]
    if spec.scratch:
        return d2lmini.RNNModelScratch(vocab_size, num_hiddens, device, *_SCRATCH[spec.cell])
    return d2lmini.RNNModel(d2lmini.get_rnn_layer(spec.cell, num_hiddens), vocab_size)
