// Accounts opened for their holder by a third person (KYC `opened_by`)
MATCH (v:Person)-[h:HOLDS]->(a:Account)
WHERE h.opened_by IS NOT NULL AND h.opened_by <> v.id
RETURN v.id AS holder, a.id AS account, h.opened_by AS opener, h.record_ids AS record_ids
ORDER BY holder, account
