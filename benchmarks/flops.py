"""The physical limit: FLOPs per token of each model, and the machine's measured matrix-multiply peak."""
import statistics
import time

GATES = {'rnn': 1, 'gru': 3, 'lstm': 4}  # blocks of (input, hidden) weights per cell


def forward_macs_per_token(cell, vocab_size, num_hiddens):
    """Multiply-adds of the matrix products for one token of one layer (elementwise work is ignored).

    Each gate multiplies the one-hot input (a dense vocab_size-vector here, as in the code) and the
    previous hidden state by their weights; the output layer maps the hidden state to the vocabulary.
    """
    gates = GATES[cell]
    return gates * (vocab_size * num_hiddens + num_hiddens * num_hiddens) + num_hiddens * vocab_size


def train_flops_per_token(cell, vocab_size, num_hiddens):
    """FLOPs of one training step per token: forward + backward ~ 3 x forward, 2 FLOPs per multiply-add."""
    return 3 * 2 * forward_macs_per_token(cell, vocab_size, num_hiddens)


def _time_dot(a, b, repeats):
    from mxnet import np, npx
    np.dot(a, b).wait_to_read()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        np.dot(a, b).wait_to_read()
        times.append(time.perf_counter() - start)
    npx.waitall()
    return statistics.median(times)


def matmul_gflops(n=2048, repeats=7, device=None):
    """GFLOP/s of an n x n by n x n float32 ``np.dot`` (median of ``repeats``): the machine's peak."""
    from mxnet import np
    a = np.random.uniform(size=(n, n), ctx=device)
    b = np.random.uniform(size=(n, n), ctx=device)
    return 2 * n ** 3 / _time_dot(a, b, repeats) / 1e9


def small_matmul_gflops(batch_size, num_hiddens, repeats=7, inner=200, device=None):
    """GFLOP/s of the recurrence's own product, (batch, hidden) x (hidden, hidden), run ``inner`` times.

    This is the shape an RNN multiplies at every time step: far too small to reach the large-matrix peak.
    """
    from mxnet import np, npx
    h = np.random.uniform(size=(batch_size, num_hiddens), ctx=device)
    w = np.random.uniform(size=(num_hiddens, num_hiddens), ctx=device)
    np.dot(h, w).wait_to_read()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            out = np.dot(h, w)
        out.wait_to_read()
        npx.waitall()
        times.append(time.perf_counter() - start)
    return 2 * batch_size * num_hiddens ** 2 * inner / statistics.median(times) / 1e9
