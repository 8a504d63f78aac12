"""d2lmini: the helpers the chapters of this book explain and share.

The names follow Dive into Deep Learning (d2l.ai) so that code moves between the two books.
Importing d2lmini switches MXNet to its NumPy interface (``npx.set_np()``).
"""
from .platform_check import check_platform

check_platform()  # before MXNet is imported: one clear message if it cannot run here

from mxnet import npx  # noqa: E402

from .corpora import CORPORA, CorpusUnavailableError, cache_dir, corpus_path, read_corpus
from .decoding import predict_sample
from .data import (SeqDataLoader, Vocab, check_batch_shape, clean_text, corpus_splits, load_corpus_time_machine,
                   load_data_corpus, load_data_shakespeare, load_data_time_machine,
                   load_data_time_machine_split, load_data_time_machine_val, read_time_machine, seq_data_iter_random,
                   seq_data_iter_sequential, split_corpus, tokenize)
from .ngram import NGramLM, NGramYardstick, find_sorted, gram_ids, ngram_yardstick
from .models import (LAYER_KINDS, EmbeddingRNNModel, RNNModel, RNNModelScratch, check_dropout,
                     get_device, get_gru_params, get_lstm_params, get_rnn_layer,
                     get_rnn_params, gru, normal_param, zero_param,
                     init_lstm_state, init_rnn_state, lstm, rnn, scratch_lstm_from_gluon, try_gpu)
from .optim import OPTIMIZERS, SCHEDULES, Updater, init_params
from .seeds import SeedRuns, max_seeds, over_seeds
from .training import (check_prefix, check_selection, copy_params, detach_state, evaluate_ppl, grad_clipping,
                       max_epochs, output_dir, restore_params, training_report,
                       predict_ch8, set_seed, train_ch8, train_epoch_ch8)

npx.set_np()

__version__ = '0.1.0'
