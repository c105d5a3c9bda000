"""The marketplace: plans (`plans`), what buyers may use and at what price (`listing`), what they generate
(`generations`), what they buy (`purchases`, with `licences` for the terms, certificate and delivered file),
which sale a file comes from (`identify`), and what creators are paid (`payouts`).

Each change commits together with its ledger events (plan.subscribed/cancelled, model.published,
price.changed, model.disabled/enabled, generation.created, purchase.made + licence.granted,
payout.settled) in one transaction. Money is integer cents.
"""
