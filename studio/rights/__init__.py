"""Rights: the hash-chained ledger, licences, content credentials, reports."""
