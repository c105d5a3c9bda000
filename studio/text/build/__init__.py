"""Build tools for the studio-tiny-text base; the runtime never imports them.

    python -m studio.text.build --seed 0 --threads 1         # pretrain (studio.text.build.pretrain)
    python -m studio.text.build.card                          # measure and write the model card
"""
