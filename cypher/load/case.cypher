// The case node, one per workspace: $rows = [{id, base_currency, source_sha256, record_ids}]
UNWIND $rows AS r
MERGE (c:Case {id: r.id})
SET c.base_currency = r.base_currency, c.source_sha256 = r.source_sha256,
    c.record_ids = r.record_ids
RETURN count(c) AS n
