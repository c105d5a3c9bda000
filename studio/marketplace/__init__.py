"""The marketplace: what buyers may use and at what price (`listing`), and what they generate (`generations`).

Each change commits together with its ledger event (model.published, price.changed,
model.disabled, generation.created) in one transaction. Money is integer cents.
"""
