"""Text -> ids: reading corpora, tokenizing, the vocabulary and its Huffman tree, encoding,
the encoded-corpus cache, the windows and batches training reads, the held-out split.

Imports only the base modules (errors, numerics, atomic, interrupts).
"""
