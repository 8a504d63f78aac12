"""Speed and quality benchmarks of the book's models: ``python -m benchmarks --help``.

Everything measured runs d2lmini's own code (the code the chapters show), plus two references:
a bare Gluon loop (the framework's ceiling) and d2l 1.0.3's ``Trainer`` (the peer).
"""

# The chapters' settings (chapters 4-7): minibatches of 32 x 35 characters, 256 hidden units,
# SGD with learning rate 1, gradients clipped to norm 1.
BATCH_SIZE = 32
NUM_STEPS = 35
NUM_HIDDENS = 256
LR = 1.0
THETA = 1.0
# Throughput: the first epoch of every path (set-up, first allocations) is timed but not counted.
WARMUP_EPOCHS = 1
