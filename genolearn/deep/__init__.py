"""torch models for DNA (Chapter 5): CNN, RNN, transformer, training and interpretation.

This is the only part of genolearn that imports torch; ``import genolearn`` never does.
Install it with ``pip install genolearn[deep]``.
"""

from genolearn.deep.attention import attention_enrichment, multi_head_attention_numpy
from genolearn.deep.cnn import FNN, MotifCNN, conv1d_numpy, max_pool1d_numpy
from genolearn.deep.device import default_device, set_seed
from genolearn.deep.history import History
from genolearn.deep.interpretation import (
    attribution_auroc,
    filters_to_pwms,
    in_silico_mutagenesis,
    plot_logo,
    pwm_ism_numpy,
    saliency,
)
from genolearn.deep.kmer_transformer import KmerTransformer, kmer_codes
from genolearn.deep.rnn import SequenceRNN, gru_cell_step_numpy, lstm_cell_step_numpy
from genolearn.deep.rnn_numpy import rnn_bptt_numpy, rnn_cell_step_numpy, rnn_forward_numpy
from genolearn.deep.training import evaluate, predict, train_model
from genolearn.deep.transformer import (
    PositionalEncoding,
    SequenceTransformer,
    TransformerBlock,
    scaled_dot_product_attention,
    sinusoidal_encoding,
    sinusoidal_positional_encoding,
)

__all__ = [
    "FNN",
    "History",
    "KmerTransformer",
    "MotifCNN",
    "PositionalEncoding",
    "SequenceRNN",
    "SequenceTransformer",
    "TransformerBlock",
    "attention_enrichment",
    "attribution_auroc",
    "conv1d_numpy",
    "default_device",
    "evaluate",
    "filters_to_pwms",
    "gru_cell_step_numpy",
    "in_silico_mutagenesis",
    "kmer_codes",
    "lstm_cell_step_numpy",
    "max_pool1d_numpy",
    "multi_head_attention_numpy",
    "plot_logo",
    "predict",
    "pwm_ism_numpy",
    "rnn_bptt_numpy",
    "rnn_cell_step_numpy",
    "rnn_forward_numpy",
    "saliency",
    "scaled_dot_product_attention",
    "set_seed",
    "sinusoidal_encoding",
    "sinusoidal_positional_encoding",
    "train_model",
]
