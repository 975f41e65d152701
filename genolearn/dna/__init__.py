"""DNA utilities: the ``ACGT`` alphabet, one-hot ``(N, 4, L)``, k-mers, generated datasets."""

from genolearn.dna.alphabet import ALPHABET, BASE_INDEX, COMPLEMENT, UNKNOWN
from genolearn.dna.datasets import (
    MotifFeatureData,
    count_motif,
    motif_feature_dataset,
    plant_motif,
    random_sequences,
)
from genolearn.dna.expression import ExpressionData, expression_dataset
from genolearn.dna.kmers import all_kmers, kmer_counts
from genolearn.dna.long_range import ctcf_loop_task
from genolearn.dna.motifs import (
    Motif,
    list_motifs,
    load_jaspar,
    ppm_correlation,
    pwm_scan,
    sample_motif,
)
from genolearn.dna.onehot import one_hot_decode, one_hot_encode, validate_sequence
from genolearn.dna.real import crp_binding_task, load_crp_sites, load_splice_sites, splice_site_task
from genolearn.dna.sequence import gc_content, reverse_complement
from genolearn.dna.shuffle import dinucleotide_shuffle
from genolearn.dna.synthetic import SequenceDataset, SyntheticDataset, synthetic_task

__all__ = [
    "ALPHABET",
    "BASE_INDEX",
    "COMPLEMENT",
    "UNKNOWN",
    "ExpressionData",
    "MotifFeatureData",
    "expression_dataset",
    "all_kmers",
    "count_motif",
    "gc_content",
    "kmer_counts",
    "motif_feature_dataset",
    "one_hot_decode",
    "one_hot_encode",
    "plant_motif",
    "random_sequences",
    "reverse_complement",
    "validate_sequence",
    # Chapter 5: motifs, shuffles, generated and real sequence tasks
    "Motif",
    "SequenceDataset",
    "SyntheticDataset",
    "crp_binding_task",
    "ctcf_loop_task",
    "dinucleotide_shuffle",
    "list_motifs",
    "load_crp_sites",
    "load_jaspar",
    "load_splice_sites",
    "ppm_correlation",
    "pwm_scan",
    "sample_motif",
    "splice_site_task",
    "synthetic_task",
]
