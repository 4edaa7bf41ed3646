// Money flows aggregated per pair and month: $rows = [{src, dst, month, count, total, first_ms, last_ms, first_at, evidence, source_sha256}]
UNWIND $rows AS r
MATCH (a:Account {id: r.src}), (b:Account {id: r.dst})
MERGE (a)-[p:PAID {month: r.month}]->(b)
SET p.key = 'Account:' + r.src + '>Account:' + r.dst + '@' + r.month,
    p.count = r.count, p.total = r.total, p.first_ms = r.first_ms, p.last_ms = r.last_ms,
    p.first_at = r.first_at, p.record_ids = r.evidence,
    p.source_sha256 = r.source_sha256
RETURN count(p) AS n
