"""Recurrent language models: the from-scratch RNN (chapter 4), the Gluon wrapper (chapter 5),
the scratch GRU and LSTM (chapters 6, 7), the embedding model (chapter 10), a trained Gluon LSTM
read back as the scratch one (chapter 12), and the choice of device and of Gluon recurrent layer
shared by the command-line trainer and the benchmarks.

Shapes: token batches X are (batch_size, num_steps) integer arrays; a model returns
outputs of shape (num_steps * batch_size, vocab_size), time-major, and the new state.
"""
from d2l.mxnet import try_gpu
from mxnet import init, np, npx
from mxnet.gluon import nn, rnn as gluon_rnn

# The Gluon recurrent layers by name (the plain RNN with tanh, as in chapter 4, not Gluon's ReLU)
LAYER_KINDS = ('rnn', 'gru', 'lstm')


def get_rnn_layer(kind, num_hiddens, num_layers=1, dropout=0.0, bidirectional=False):
    """A Gluon recurrent layer: ``kind`` is 'rnn' (tanh), 'gru' or 'lstm'.

    ``dropout`` is applied by the layer between stacked layers (so only when num_layers > 1).
    """
    if kind not in LAYER_KINDS:
        raise ValueError(f'unknown layer kind {kind!r}: choose one of {", ".join(LAYER_KINDS)}')
    check_dropout(dropout)
    options = dict(num_layers=num_layers, dropout=dropout, bidirectional=bidirectional)
    if kind == 'rnn':
        return gluon_rnn.RNN(num_hiddens, activation='tanh', **options)
    return (gluon_rnn.GRU if kind == 'gru' else gluon_rnn.LSTM)(num_hiddens, **options)


def get_device(choice='auto'):
    """'auto': a GPU if MXNet sees one, else the CPU (``try_gpu``); 'cpu'; or 'gpu' (the first)."""
    if choice == 'gpu':
        if npx.num_gpus() == 0:
            raise ValueError('device "gpu": MXNet sees no GPU (is a CUDA build of mxnet installed? '
                             'see the installation page); use "cpu" or "auto"')
        return npx.gpu(0)
    if choice not in ('auto', 'cpu'):
        raise ValueError(f'unknown device {choice!r}: choose "auto", "cpu" or "gpu"')
    return npx.cpu() if choice == 'cpu' else try_gpu()


def check_dropout(dropout):
    """Refuse (ValueError) a dropout probability outside [0, 1)."""
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise ValueError(f'dropout is the probability of zeroing a unit and must be in [0, 1), '
                         f'got {dropout!r}')


def get_rnn_params(vocab_size, num_hiddens, device):
    """Weights (normal, std 0.01) and zero biases of a one-layer RNN with a
    dense output layer.

    Defined in chapter 4.
    """
    num_inputs = num_outputs = vocab_size

    def normal(shape):
        return np.random.normal(scale=0.01, size=shape, ctx=device)

    W_xh = normal((num_inputs, num_hiddens))   # input -> hidden
    W_hh = normal((num_hiddens, num_hiddens))  # hidden -> hidden, recurrence
    b_h = np.zeros(num_hiddens, ctx=device)
    W_hq = normal((num_hiddens, num_outputs))  # hidden -> output
    b_q = np.zeros(num_outputs, ctx=device)
    params = [W_xh, W_hh, b_h, W_hq, b_q]
    for param in params:
        param.attach_grad()
    return params


def init_rnn_state(batch_size, num_hiddens, device):
    """The initial hidden state: a tuple holding one (batch_size, num_hiddens)
    array of zeros.

    Defined in chapter 4.
    """
    return (np.zeros((batch_size, num_hiddens), ctx=device),)


def rnn(inputs, state, params):
    """Run the RNN over inputs of shape (num_steps, batch_size, vocab_size).

    Returns outputs (num_steps * batch_size, vocab_size) and the final
    state (H,).

    Defined in chapter 4.
    """
    W_xh, W_hh, b_h, W_hq, b_q = params
    H, = state
    hiddens = []
    for X in inputs:  # one time step at a time: X is (batch_size, vocab_size)
        H = np.tanh(np.dot(X, W_xh) + np.dot(H, W_hh) + b_h)
        hiddens.append(H)
    # The output layer does not feed back into the recurrence: apply it to
    # all steps at once
    outputs = np.dot(np.concatenate(hiddens, axis=0), W_hq) + b_q
    return outputs, (H,)


class RNNModelScratch:
    """A recurrent language model built from plain functions: one-hot in,
    logits out.

    Defined in chapter 4.
    """
    def __init__(self, vocab_size, num_hiddens, device, get_params,
                 init_state, forward_fn):
        self.vocab_size, self.num_hiddens = vocab_size, num_hiddens
        self.params = get_params(vocab_size, num_hiddens, device)
        self.init_state, self.forward_fn = init_state, forward_fn

    def __call__(self, X, state):
        """X: (batch_size, num_steps) token indices."""
        if X.ndim != 2:
            raise ValueError('X must be a (batch_size, num_steps) array of '
                             f'token indices, got shape {X.shape}')
        # (num_steps, batch_size, vocab_size)
        X = npx.one_hot(X.T, self.vocab_size)
        return self.forward_fn(X, state, self.params)

    def begin_state(self, batch_size, ctx):
        return self.init_state(batch_size, self.num_hiddens, ctx)


class RNNModel(nn.Block):
    """A Gluon recurrent layer (rnn.RNN, rnn.GRU or rnn.LSTM) between one-hot
    inputs and a dense output.

    ``dropout`` zeroes that fraction of the recurrent outputs before the
    dense layer, in training only (chapter 13); the default 0 leaves them as
    they are.

    Defined in chapter 5.
    """
    def __init__(self, rnn_layer, vocab_size, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        check_dropout(dropout)
        self.rnn = rnn_layer
        self.vocab_size = vocab_size
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Dense(vocab_size)

    def forward(self, inputs, state):
        """inputs: (batch_size, num_steps) token indices."""
        # (num_steps, batch_size, vocab_size)
        X = npx.one_hot(inputs.T, self.vocab_size)
        # Y: (num_steps, batch_size, num_hiddens)
        Y, state = self.rnn(X, state)
        output = self.dense(self.dropout(Y.reshape(-1, Y.shape[-1])))
        return output, state

    def begin_state(self, *args, **kwargs):
        """The layer's zero state: a list of arrays (one for RNN/GRU, two for
        LSTM).
        """
        return self.rnn.begin_state(*args, **kwargs)


def normal_param(shape, device):
    """A weight array drawn from N(0, 0.01^2), with room for its gradient.

    Defined in chapter 6.
    """
    param = np.random.normal(scale=0.01, size=shape, ctx=device)
    param.attach_grad()
    return param


def zero_param(shape, device):
    """A bias array of zeros, with room for its gradient.

    Defined in chapter 6.
    """
    param = np.zeros(shape, ctx=device)
    param.attach_grad()
    return param


def get_gru_params(vocab_size, num_hiddens, device):
    """Parameters of a GRU: (W_x*, W_h*, b_*) for the update gate, reset gate
    and candidate, then W_hq, b_q.

    Defined in chapter 6.
    """
    params = []
    for _ in ('update gate Z', 'reset gate R', 'candidate state'):
        params += [normal_param((vocab_size, num_hiddens), device),
                   normal_param((num_hiddens, num_hiddens), device),
                   zero_param(num_hiddens, device)]
    return params + [normal_param((num_hiddens, vocab_size), device),
                     zero_param(vocab_size, device)]


def gru(inputs, state, params):
    """Run a GRU over inputs (num_steps, batch_size, vocab_size); same
    signature as ``rnn``.

    The state is (H,), as for the plain RNN, so ``init_rnn_state`` serves the
    GRU too.

    Defined in chapter 6.
    """
    W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q = params
    H, = state
    hiddens = []
    for X in inputs:
        # update gate
        Z = npx.sigmoid(np.dot(X, W_xz) + np.dot(H, W_hz) + b_z)
        # reset gate
        R = npx.sigmoid(np.dot(X, W_xr) + np.dot(H, W_hr) + b_r)
        # candidate state
        H_tilde = np.tanh(np.dot(X, W_xh) + np.dot(R * H, W_hh) + b_h)
        H = Z * H + (1 - Z) * H_tilde
        hiddens.append(H)
    outputs = np.dot(np.concatenate(hiddens, axis=0), W_hq) + b_q
    return outputs, (H,)


def get_lstm_params(vocab_size, num_hiddens, device):
    """Parameters of an LSTM: (W_x*, W_h*, b_*) for the input, forget and
    output gates and the candidate cell, then W_hq, b_q.

    Defined in chapter 7.
    """
    params = []
    for _ in ('input gate I', 'forget gate F', 'output gate O',
              'candidate cell'):
        params += [normal_param((vocab_size, num_hiddens), device),
                   normal_param((num_hiddens, num_hiddens), device),
                   zero_param(num_hiddens, device)]
    return params + [normal_param((num_hiddens, vocab_size), device),
                     zero_param(vocab_size, device)]


def init_lstm_state(batch_size, num_hiddens, device):
    """The LSTM's initial state: a pair (H, C) of (batch_size, num_hiddens)
    zero arrays.

    Defined in chapter 7.
    """
    return (np.zeros((batch_size, num_hiddens), ctx=device),
            np.zeros((batch_size, num_hiddens), ctx=device))


def lstm(inputs, state, params):
    """Run an LSTM over inputs (num_steps, batch_size, vocab_size); the state
    is the pair (H, C).

    Defined in chapter 7.
    """
    (W_xi, W_hi, b_i, W_xf, W_hf, b_f, W_xo, W_ho, b_o, W_xc, W_hc, b_c,
     W_hq, b_q) = params
    H, C = state
    hiddens = []
    for X in inputs:
        # input gate
        I = npx.sigmoid(np.dot(X, W_xi) + np.dot(H, W_hi) + b_i)
        # forget gate
        F = npx.sigmoid(np.dot(X, W_xf) + np.dot(H, W_hf) + b_f)
        # output gate
        O = npx.sigmoid(np.dot(X, W_xo) + np.dot(H, W_ho) + b_o)
        # candidate cell
        C_tilde = np.tanh(np.dot(X, W_xc) + np.dot(H, W_hc) + b_c)
        C = F * C + I * C_tilde
        H = O * np.tanh(C)
        hiddens.append(H)
    outputs = np.dot(np.concatenate(hiddens, axis=0), W_hq) + b_q
    return outputs, (H, C)


def scratch_lstm_from_gluon(net_gluon, device):
    """A scratch LSTM (chapter 7) holding the weights of an RNNModel around a one-layer rnn.LSTM.

    Defined in chapter 12.
    """
    layer = net_gluon.rnn
    n = layer.l0_h2h_weight.shape[1]  # hidden units; an LSTM stacks 4 blocks of n rows
    more = hasattr(layer, 'l1_i2h_weight') or hasattr(layer, 'r0_i2h_weight')  # a second layer or direction
    if layer.l0_h2h_weight.shape[0] != 4 * n or more:
        raise ValueError('scratch_lstm_from_gluon needs an RNNModel around a one-layer, one-direction '
                         f'rnn.LSTM, got {layer!r}')
    net = RNNModelScratch(net_gluon.vocab_size, n, device, get_lstm_params, init_lstm_state, lstm)
    W_x = layer.l0_i2h_weight.data().T  # (vocab, 4 * hidden): input, forget, candidate, output
    W_h = layer.l0_h2h_weight.data().T  # (hidden, 4 * hidden)
    b = layer.l0_i2h_bias.data() + layer.l0_h2h_bias.data()
    part = {name: [W_x[:, k * n:(k + 1) * n], W_h[:, k * n:(k + 1) * n], b[k * n:(k + 1) * n]]
            for k, name in enumerate(['I', 'F', 'C_tilde', 'O'])}
    weights = part['I'] + part['F'] + part['O'] + part['C_tilde']  # the order of get_lstm_params
    weights += [net_gluon.dense.weight.data().T, net_gluon.dense.bias.data()]
    for param, value in zip(net.params, weights):
        param[:] = value  # in place: a shape mix-up raises an error instead of passing silently
    return net


class EmbeddingRNNModel(nn.Block):
    """``RNNModel`` with a learned embedding (an nn.Embedding table) in place of the one-hot inputs.

    ``dropout`` (chapter 13) applies to the embedded inputs and to the recurrent outputs.

    Defined in chapter 10.
    """
    def __init__(self, rnn_layer, vocab_size, embed_size, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        check_dropout(dropout)
        # One row of embed_size numbers per token, drawn from N(0, 1): input entries of order 1, as with
        # one-hot vectors (the weight's own initializer wins over train_ch8's N(0, 0.01^2))
        self.embedding = nn.Embedding(vocab_size, embed_size, weight_initializer=init.Normal(1))
        self.rnn = rnn_layer
        self.vocab_size = vocab_size
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Dense(vocab_size)

    def forward(self, inputs, state):
        """inputs: (batch_size, num_steps) token indices."""
        X = self.dropout(self.embedding(inputs.T))  # (num_steps, batch_size, embed_size)
        Y, state = self.rnn(X, state)  # Y: (num_steps, batch_size, num_hiddens)
        Y = self.dropout(Y.reshape(-1, Y.shape[-1]))
        return self.dense(Y), state  # (num_steps * batch_size, vocab_size), state

    def begin_state(self, *args, **kwargs):
        """The layer's zero state: a list of arrays (one for RNN/GRU, two for LSTM)."""
        return self.rnn.begin_state(*args, **kwargs)
