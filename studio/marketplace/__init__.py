"""The marketplace: plans (`plans`), what buyers may use and at what price (`listing`), what they generate
(`generations`), what they buy (`purchases`, with `licences` for the terms, certificate and delivered file),
drafts the creator finishes by hand (`edits`), which sale a file comes from (`identify`), what creators are
paid (`payouts`), and what the platform may know of it all (`analytics`, aggregated and anonymised).
Buyers log in to the storefront with an account (`accounts`: email and a salted scrypt hash).

Each change commits together with its ledger events (plan.subscribed/cancelled, model.published,
price.changed, model.disabled/enabled, generation.created, purchase.made + licence.granted,
payout.settled, edit.requested/quoted/accepted/delivered/declined) in one transaction. Money is integer cents.
"""
