// Accounts, from KYC and from every transaction end: $rows = [{id, institution, country, opened, source_sha256, record_ids}]
UNWIND $rows AS r
MERGE (a:Account {id: r.id})
SET a.institution = coalesce(r.institution, a.institution),
    a.country = coalesce(r.country, a.country), a.opened = coalesce(r.opened, a.opened),
    a.source_sha256 = coalesce(r.source_sha256, a.source_sha256),
    a.record_ids = coalesce(r.record_ids, a.record_ids)
RETURN count(a) AS n
