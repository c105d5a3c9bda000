"""Build tools: what made the shipped weights. The runtime never imports this package.

- ``pretrain_tiny.py``  pretrains studio-tiny: ``python -m studio.models.build.pretrain_tiny``;
- ``train_checker.py``  trains the shapes-world checker: ``python -m studio.models.build.train_checker --train``;
- ``card.py``           measures a base and writes its model card: ``python -m studio.models.build.card``;
- ``measure.py``        the checker's own accuracy and a pipeline's prompt following (card, bench, tests);
- ``tiny.py``           the studio-tiny architecture (configs, builders) and saving a pipeline with its BPE files;
- ``tokenizer.py``      the byte-level BPE tokenizer trained on the caption vocabulary.

The runtime (``studio.models``, ``studio.models.checker``, ``studio.models.world``) loads what
these wrote; a test checks that importing it leaves this package unloaded.
"""
