"""The peer: d2l 1.0.3's own language models trained by its ``d2l.Trainer``, on the same text and settings.

d2l.mxnet 1.0.3 provides ``RNNLMScratch`` + ``RNNScratch`` (the scratch RNN), ``RNNLM`` + ``RNN`` and
``RNNLM`` + ``GRU`` (Gluon layers), and ``Trainer``/``TimeMachine``; it has no scratch GRU and no LSTM.
Differences that are d2l's design and are kept: its data are shuffled overlapping windows (not
consecutive minibatches), the state starts from zero at every minibatch, ``d2l.RNN`` wraps
``rnn.RNN`` with its default ReLU activation, and the loss is read on the host at every minibatch.
"""
import io
import time

from d2l import mxnet as d2l
from mxnet import npx

import d2lmini

from . import BATCH_SIZE, LR, NUM_HIDDENS, NUM_STEPS, THETA, WARMUP_EPOCHS, throughput


class TimeMachineSameText(d2l.TimeMachine):
    """d2l.TimeMachine reading the checked copy d2lmini uses (no download); no validation set."""
    def _download(self):
        return d2lmini.read_corpus('time_machine')

    def val_dataloader(self):
        return None  # the Trainer then skips validation: only training is timed


class NotebookDisplay:
    """Stands in for IPython.display: renders each figure to SVG, as a Jupyter front end would."""
    def display(self, fig):
        fig.savefig(io.BytesIO(), format='svg')

    def clear_output(self, wait=False):
        pass


def build_peer(model, vocab_size, num_hiddens=NUM_HIDDENS):
    """The d2l 1.0.3 model matching one of ours (``specs.MODELS[model].peer``)."""
    if model == 'scratch-rnn':
        return d2l.RNNLMScratch(d2l.RNNScratch(num_inputs=vocab_size, num_hiddens=num_hiddens),
                                vocab_size=vocab_size, lr=LR)
    if model == 'rnn':
        return d2l.RNNLM(d2l.RNN(num_hiddens=num_hiddens), vocab_size=vocab_size, lr=LR)
    if model == 'gru':
        return d2l.RNNLM(d2l.GRU(num_hiddens=num_hiddens, num_layers=1), vocab_size=vocab_size, lr=LR)
    raise ValueError(f'd2l 1.0.3 (mxnet) has no model matching {model!r}')


def run_peer(model, num_batches, device, epochs, warmup=WARMUP_EPOCHS, plot=True, num_hiddens=NUM_HIDDENS):
    """Train with d2l.Trainer; each epoch has ``num_batches`` minibatches of BATCH_SIZE x NUM_STEPS.

    plot=True: as shipped, the ProgressBoard draws its plot twice per epoch (rendered to SVG here, as
    in a notebook). plot=False: ``board.display = False``, nothing is drawn (the loss is still read
    on the host at every minibatch, which is how d2l collects the points).
    """
    import matplotlib.pyplot as plt
    # Choose the backend before d2l.use_svg_display() creates an IPython shell: otherwise pyplot's
    # first figure tries IPython's removed `backend2gui` (IPython 9 + matplotlib 3.7.2) and fails.
    plt.switch_backend('agg')
    if plot:
        d2l.display = NotebookDisplay()
    data = TimeMachineSameText(batch_size=BATCH_SIZE, num_steps=NUM_STEPS,
                               num_train=num_batches * BATCH_SIZE, num_val=0)
    net = build_peer(model, len(data.vocab), num_hiddens)
    net.board.display = plot
    num_gpus = 1 if device.device_type == 'gpu' else 0
    trainer = d2l.Trainer(max_epochs=1, num_gpus=num_gpus, gradient_clip_val=THETA)
    speeds, cpu_speeds = [], []
    for epoch in range(warmup + epochs):
        start, cpu_start = time.time(), time.process_time()
        if epoch == 0:
            trainer.fit(net, data)  # the first epoch (set-up included) is a warm-up one
        else:
            trainer.epoch += 1
            trainer.fit_epoch()
        npx.waitall()
        num_tokens = trainer.num_train_batches * BATCH_SIZE * NUM_STEPS
        speeds.append(num_tokens / (time.time() - start))
        cpu_speeds.append(num_tokens / (time.process_time() - cpu_start))
    return throughput.summarize(speeds, warmup, cpu_speeds)
