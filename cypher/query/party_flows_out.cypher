// Money paid by each of $ids (persons) to other parties' accounts, summed per recipient
UNWIND $ids AS pid
MATCH (p:Person {id: pid})-[:HOLDS]->(a:Account)-[f:PAID]->(b:Account)<-[:HOLDS]-(q)
WHERE q.id <> pid
RETURN pid AS src, q.id AS dst, labels(q)[0] AS dst_kind, b.country AS dst_country,
       sum(f.total) AS total, sum(f.count) AS count, min(f.first_ms) AS first_ms,
       collect(f.record_ids) AS evidence
ORDER BY src, dst, dst_country
